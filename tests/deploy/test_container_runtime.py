"""The images' commands, run as plain processes the way the containers would run them (no Docker engine here).

For each image: its ENTRYPOINT + CMD (or the compose `command`), with the environment compose gives it on top
of the image's ENV, against the embedded emulator; then its HEALTHCHECK command must pass, and SIGTERM must stop
it cleanly. What differs from a container, and why:
- the AWS endpoint is a moto server on 127.0.0.1 instead of http://localstack:4566;
- paths under /tmp (HOME, TMPDIR, the heartbeat file: the container's tmpfs) move to a fresh temporary directory;
- the API listens on 127.0.0.1 and a free port instead of 0.0.0.0:8000 (the health check follows the port);
- IMGPIPE_QUEUE_WAIT_SECONDS=1 so the worker notices SIGTERM within a second instead of up to 20 s;
- `imgpipe` and `python` are this environment's console script and interpreter (the image's venv has both).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.processes import free_port, start_moto
from tests.deploy.deploy_support import (
    DOCKERFILES,
    IMAGE_TMP,
    Stage,
    final_stage,
    find_tool,
    load_compose,
    service_dockerfile,
    service_environment,
)

START_TIMEOUT = 45.0  # generous for a loaded 2-core CI machine; healthy is normally reached in 1-3 s
STOP_TIMEOUT = 20.0


def _host_env(service_name: str, moto_url: str, tmp: Path) -> dict[str, str]:
    compose = load_compose()
    service = compose["services"][service_name]
    stage = final_stage(service_dockerfile(service))
    env = {**stage.env, **service_environment(service)}  # compose's environment overrides the image's ENV
    env.pop("PATH", None)  # the image's venv is this environment's venv
    for key, value in env.items():
        if value == IMAGE_TMP or value.startswith(IMAGE_TMP + "/"):
            env[key] = str(tmp) + value[len(IMAGE_TMP) :]
    assert env["IMGPIPE_AWS_ENDPOINT_URL"].startswith("http://localstack:")
    env["IMGPIPE_AWS_ENDPOINT_URL"] = moto_url
    if "IMGPIPE_S3_PUBLIC_ENDPOINT_URL" in env:
        env["IMGPIPE_S3_PUBLIC_ENDPOINT_URL"] = moto_url
    env["IMGPIPE_QUEUE_WAIT_SECONDS"] = "1"
    if env.get("IMGPIPE_ANALYSIS_ENGINE") == "local" and importlib.util.find_spec("rapidocr") is None:
        env["IMGPIPE_ANALYSIS_ENGINE"] = "off"  # the compose image has the `ocr` extra; this venv does not
    # Nothing from this machine's own configuration leaks in.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IMGPIPE_", "AWS_"))}
    return {**base, **env}


def _resolve(argv: list[str]) -> list[str]:
    """Map the image's commands onto this environment (see the module docstring)."""
    if argv[0] == "imgpipe":
        script = find_tool("imgpipe")
        if script is None:
            pytest.fail("the `imgpipe` console script is not installed: pip install -e '.[test]'")
        return [script, *argv[1:]]
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return argv


def _healthcheck(stage: Stage, env: dict[str, str], replace: dict[str, str] | None = None) -> list[str]:
    health = stage.healthcheck
    assert health is not None, "the image has no HEALTHCHECK"
    command = list(health.command)
    for old, new in (replace or {}).items():
        assert any(old in part for part in command), f"{old!r} not in the health check"
        command = [part.replace(old, new) for part in command]
    return _resolve(command)


def _run_ok(argv: list[str], env: dict[str, str], timeout: float = 10) -> bool:
    return subprocess.run(argv, env=env, capture_output=True, timeout=timeout, check=False).returncode == 0


def _wait_healthy(name: str, process: subprocess.Popen[bytes], check: list[str], env: dict[str, str]) -> float:
    """Run the health check as Docker would (repeatedly) until it passes; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"{name} exited with {process.returncode} before becoming healthy:\n{output[-4000:]}")
        if _run_ok(check, env):
            return time.monotonic() - started
        time.sleep(0.25)
    pytest.fail(f"{name} did not become healthy within {START_TIMEOUT:.0f}s")


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """What `docker stop` does: SIGTERM, then SIGKILL after the grace period. Returns exit code and output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = ""
    if process.stdout:
        output = process.stdout.read().decode(errors="replace")
        process.stdout.close()
    return process.returncode, output


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """The embedded emulator's URL (a moto server on 127.0.0.1), for the whole module."""
    service = start_moto()
    assert service.url is not None
    try:
        yield service.url
    finally:
        service.stop()


@pytest.fixture(scope="module")
def provisioned(moto: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run compose's one-shot `init` service: the api image's ENTRYPOINT with `command: [provision]`."""
    compose = load_compose()
    init = compose["services"]["init"]
    stage = final_stage(service_dockerfile(init))
    entrypoint = stage.exec_form("ENTRYPOINT")
    assert entrypoint is not None
    argv = _resolve([*entrypoint, *init["command"]])
    env = _host_env("init", moto, tmp_path_factory.mktemp("init"))
    runs = [subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False) for _ in (1, 2)]
    return {"argv": argv, "runs": runs}


def test_init_provisions_and_can_run_again(provisioned: dict[str, Any]) -> None:
    first, second = provisioned["runs"]
    assert first.returncode == 0, first.stdout + first.stderr
    # Idempotent: `docker compose up` after a partial start runs it against an already provisioned LocalStack.
    assert second.returncode == 0, second.stdout + second.stderr


def test_api_image_command_becomes_healthy_and_ready(moto: str, provisioned: dict[str, Any], tmp_path: Path) -> None:
    stage = final_stage(DOCKERFILES["api"])
    entrypoint, cmd = stage.exec_form("ENTRYPOINT"), stage.exec_form("CMD")
    assert entrypoint is not None and cmd is not None
    port = str(free_port())
    argv = [*entrypoint, *cmd]
    argv[argv.index("--host") + 1] = "127.0.0.1"
    image_port = argv[argv.index("--port") + 1]
    argv[argv.index("--port") + 1] = port
    env = _host_env("api", moto, tmp_path)
    check = _healthcheck(stage, env, {image_port: port})

    assert not _run_ok(check, env), "the health check passes with no API running: it checks nothing"
    process = _start(_resolve(argv), env)
    try:
        _wait_healthy("api", process, check, env)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text  # the provisioned table is reachable
    finally:
        code, output = _stop(process)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal so the exit status says why it stopped
    # (Docker reports 143). A kill before the graceful shutdown would lack the last log line.
    assert code in (0, -signal.SIGTERM), f"exit {code}:\n{output[-4000:]}"
    assert "Finished server process" in output, f"no graceful shutdown:\n{output[-4000:]}"


def test_worker_image_command_becomes_healthy(moto: str, provisioned: dict[str, Any], tmp_path: Path) -> None:
    stage = final_stage(DOCKERFILES["worker"])
    entrypoint, cmd = stage.exec_form("ENTRYPOINT"), stage.exec_form("CMD")
    assert entrypoint is not None and cmd is not None
    env = _host_env("worker", moto, tmp_path)
    heartbeat = Path(env["IMGPIPE_HEARTBEAT_FILE"])
    check = _healthcheck(stage, env)

    assert not heartbeat.exists() and not _run_ok(check, env), "healthy without a heartbeat"
    process = _start(_resolve([*entrypoint, *cmd]), env)
    try:
        _wait_healthy("worker", process, check, env)
        assert heartbeat.is_file()
    finally:
        code, output = _stop(process)
    assert code == 0, f"the worker did not drain and exit cleanly on SIGTERM (exit {code}):\n{output[-4000:]}"


def test_worker_healthcheck_fails_on_a_stale_heartbeat(tmp_path: Path) -> None:
    stage = final_stage(DOCKERFILES["worker"])
    heartbeat = tmp_path / "heartbeat"
    env = {**os.environ, "IMGPIPE_HEARTBEAT_FILE": str(heartbeat), "IMGPIPE_QUEUE_WAIT_SECONDS": "20"}
    check = _healthcheck(stage, env)
    heartbeat.touch()
    assert _run_ok(check, env)
    max_age = 2 * 20 + 30
    stale = time.time() - max_age - 5
    os.utime(heartbeat, (stale, stale))
    assert not _run_ok(check, env), f"a heartbeat older than {max_age}s must fail the check"
