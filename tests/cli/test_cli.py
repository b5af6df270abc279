"""The `imgpipe` command as a user runs it: a real process against the real local stack."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cli.operator import STATE_FILE
from cli.processes import free_port, http_ok, wait_until
from cli.stack import LocalStack
from core.api_keys import LOCAL_DEV_API_KEY
from harness.images import jpeg, png
from tests.support import newcomer_env, run_module


def _imgpipe(stack: LocalStack, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    assert stack.api is not None and stack.api.url is not None
    env = {**os.environ, "IMGPIPE_API_URL": stack.api.url}
    if key is not None:
        env["IMGPIPE_API_KEY"] = key
    return run_module("cli.main", *args, env=env, timeout=120)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"png": tmp_path / "diagram.png", "jpeg": tmp_path / "photo.jpg", "fake": tmp_path / "fake.png"}
    paths["png"].write_bytes(png(500, 400))
    paths["jpeg"].write_bytes(jpeg(900, 600))
    paths["fake"].write_text("this is text, whatever its name says\n")
    return paths


def test_submit_waits_and_reports_each_outcome(stack: LocalStack, files: dict[str, Path]) -> None:
    ok = _imgpipe(stack, "submit", "--wait", str(files["png"]), str(files["jpeg"]))
    assert ok.returncode == 0, ok.stderr
    assert f"{files['png']}: completed  PNG 500x400" in ok.stdout
    assert f"{files['jpeg']}: completed  JPEG 900x600" in ok.stdout

    bad = _imgpipe(stack, "submit", "--no-check", "--wait", str(files["png"]), str(files["fake"]))
    assert bad.returncode == 1
    assert "unsupported_format" in bad.stdout


def test_submit_json_output_and_status(stack: LocalStack, files: dict[str, Path]) -> None:
    result = _imgpipe(stack, "submit", "--wait", "--json", str(files["jpeg"]))
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert entry["status"] == "completed"
    assert {o["name"] for o in entry["job"]["result"]["outputs"]} >= {"thumb-128.jpg", "processed.webp"}
    status = _imgpipe(stack, "status", entry["job_id"])
    assert status.returncode == 0 and "completed" in status.stdout


def test_clear_errors_for_a_wrong_key_and_an_unreachable_api(stack: LocalStack, files: dict[str, Path]) -> None:
    wrong_key = _imgpipe(stack, "submit", str(files["png"]), key="not-the-key")
    assert wrong_key.returncode == 3
    assert "invalid_api_key" in wrong_key.stderr
    unreachable = _imgpipe(stack, "submit", "--api", f"http://127.0.0.1:{free_port()}", str(files["png"]))
    assert unreachable.returncode == 3
    assert "api_unreachable" in unreachable.stderr


def test_dev_command_runs_the_stack_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    api_port, moto_port = free_port(), free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as err:
        # A process group of its own, like a shell's foreground job: Ctrl-C signals every process in it.
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "dev", "--port", str(api_port), "--moto-port", str(moto_port)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        banner = []
        for line in proc.stdout:  # the banner comes once everything is up
            banner.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(banner)
        assert f"http://127.0.0.1:{api_port}/docs" in text
        assert f"http://127.0.0.1:{api_port}/ui" in text  # the results page
        assert LOCAL_DEV_API_KEY in text
        assert "a restart forgets every job" in text
        # The example command works as printed, from where `make dev` runs, with nothing of one's own.
        [example] = [line.split(":", 1)[1] for line in banner if line.strip().startswith("try")]
        tried = subprocess.run(
            shlex.split(example), cwd=tmp_path, env=newcomer_env(tmp_path), capture_output=True, text=True, timeout=120
        )
        assert tried.returncode == 0, tried.stdout + tried.stderr
        assert "receipt.png: completed" in tried.stdout
        # Operator commands find this stack with nothing set.
        listed = run_module("cli.main", "dlq", "list", env=newcomer_env(tmp_path), cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert f"using the local stack (emulator http://127.0.0.1:{moto_port}" in listed.stderr
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert proc.wait(timeout=60) == 0
    wait_until(lambda: not http_ok(f"http://127.0.0.1:{api_port}/healthz"), timeout=10, what="the API to stop")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{moto_port}/moto-api/data.json", timeout=2)
    logged = log.read_text()
    assert "Traceback" not in logged and '"level": "error"' not in logged, logged
    assert "received SIGTERM: finishing in-flight jobs" in logged  # each worker drained, told so
    assert not (tmp_path / STATE_FILE).exists()


def test_dev_refuses_a_port_in_use_with_a_clear_error() -> None:
    moto_port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        api_port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "cli.main", "dev", "--port", str(api_port), "--moto-port", str(moto_port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {api_port} on 127.0.0.1 (for the API) is already in use" in result.stderr
    assert "stack is up" not in result.stdout
    # The emulator it had started is stopped again: nothing answers on its port.
    assert not http_ok(f"http://127.0.0.1:{moto_port}/moto-api/data.json")
