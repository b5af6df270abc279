"""Ctrl-C in `imgpipe`: the jobs already created carry on, their ids are printed to follow them, exit 130, and no
traceback, whenever it comes."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.processes import wait_until
from cli.stack import LocalStack, start_local_stack
from harness.images import png
from harness.jobs import api_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def idle_stack() -> Iterator[LocalStack]:
    """A stack without workers: its jobs stay `uploaded`, so a `submit --wait` is still waiting when Ctrl-C comes."""
    with start_local_stack(workers=0) as stack:
        yield stack


def test_ctrl_c_during_submit_wait_prints_the_job_ids_and_exits_130(idle_stack: LocalStack, tmp_path: Path) -> None:
    assert idle_stack.api is not None and idle_stack.api.url is not None
    image = tmp_path / "photo.png"
    image.write_bytes(png(64, 64))
    # stderr on a pseudo-terminal, as in a shell: the progress bars are live; stdout is read here.
    master, slave = pty.openpty()
    env = {**os.environ, "IMGPIPE_API_URL": idle_stack.api.url, "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "submit", "--wait", str(image)],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        text=True,
    )
    os.close(slave)
    screen = b""

    def uploaded() -> bool:
        nonlocal screen
        while select.select([master], [], [], 0)[0]:
            try:
                screen += os.read(master, 65536)
            except OSError:  # the process has exited and closed the terminal
                break
        return b"uploaded" in screen

    try:
        wait_until(uploaded, timeout=60, what="the upload to finish")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        uploaded()
        os.close(master)
    assert proc.returncode == 130
    [command] = [line for line in out.splitlines() if f"status --api {idle_stack.api.url} --wait " in line]
    job_id = command.split("--wait ")[1].split()[0]
    with api_client(idle_stack) as api:
        assert api.get(f"/v1/jobs/{job_id}").json()["status"] == "upload_pending"  # no worker here to take it
    assert "Traceback" not in screen.decode() and "Aborted" not in screen.decode()
    assert "Interrupted. 1 job(s) carry on" in screen.decode()


def _entry_point() -> str:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    return str(scripts["imgpipe"])


def test_ctrl_c_while_the_command_is_still_starting_is_not_a_traceback() -> None:
    module, function = _entry_point().split(":")
    # Ctrl-C arrives while the command's modules are being imported (the first second of a run).
    code = f"""
import os, signal, sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "cli.jobs":
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv = ["imgpipe", "--help"]
from {module} import {function}
{function}()
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ)
    )
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    assert "Interrupted" in result.stderr
