"""`imgpipe healthcheck api|worker`: exit 0 when healthy, 1 with the reason when not (Docker and ECS read the code).

The images run it as their HEALTHCHECK; tests/deploy/test_container_runtime.py runs it against the real services.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.processes import free_port
from tests.support import run_module


def _probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("IMGPIPE_")}
    return run_module("cli.main", "healthcheck", *args, env={**base, **(env or {})})


class _Api:
    """A local HTTP server whose /healthz answers with `status` (real HTTP, as the probe sees the API)."""

    def __init__(self) -> None:
        self.status = 200
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                code = api.status if self.path == "/healthz" else 404
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"ok"}')

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[_Api]:
    server = _Api()
    try:
        yield server
    finally:
        server.close()


def test_api_probe_is_healthy_on_2xx(api: _Api) -> None:
    result = _probe("api", "--port", str(api.port))
    assert result.returncode == 0, result.stderr


def test_api_probe_is_unhealthy_on_an_error_status(api: _Api) -> None:
    api.status = 503
    result = _probe("api", "--port", str(api.port))
    assert result.returncode == 1
    assert f"127.0.0.1:{api.port}/healthz answered 503" in result.stderr


def test_api_probe_is_unhealthy_when_nothing_listens() -> None:
    port = free_port()
    with socket.socket() as probe:  # the port really is closed
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    result = _probe("api", "--port", str(port), "--timeout", "2")
    assert result.returncode == 1
    assert "unreachable" in result.stderr


def test_worker_probe_follows_the_heartbeat_age(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    env = {"IMGPIPE_HEARTBEAT_FILE": str(heartbeat), "IMGPIPE_QUEUE_WAIT_SECONDS": "5"}

    missing = _probe("worker", env=env)
    assert missing.returncode == 1 and "no heartbeat yet" in missing.stderr

    heartbeat.touch()
    fresh = _probe("worker", env=env)
    assert fresh.returncode == 0, fresh.stderr

    max_age = 2 * 5 + 30  # two long polls plus the margin
    stale = time.time() - max_age - 5
    os.utime(heartbeat, (stale, stale))
    old = _probe("worker", env=env)
    assert old.returncode == 1 and f"stuck after {max_age}s" in old.stderr

    almost = time.time() - max_age + 15
    os.utime(heartbeat, (almost, almost))
    assert _probe("worker", env=env).returncode == 0, "younger than the limit is healthy"


def test_worker_probe_without_a_heartbeat_file_setting_is_unhealthy() -> None:
    result = _probe("worker")
    assert result.returncode == 1
    assert "IMGPIPE_HEARTBEAT_FILE is not set" in result.stderr
