"""Starting and stopping the local stack's processes (moto server, API, worker); used by `imgpipe dev` and tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortInUseError(RuntimeError):
    """A port asked for by number is taken: the service would fail to bind while another answers in its place."""


def require_free_port(port: int, service: str) -> int:
    """`port` if nothing listens on it on 127.0.0.1, else PortInUseError naming the service that wanted it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            raise PortInUseError(f"port {port} on 127.0.0.1 (for the {service}) is already in use by another process")
    return port


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.02, max_interval: float = 0.5
) -> None:
    """Poll `condition` until it holds; raise TimeoutError naming `what` when it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (graceful), then SIGKILL if it does not exit within `timeout`. Returns the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _spawn(
    name: str, argv: list[str], env: Mapping[str, str], *, quiet: bool, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **env}
    # A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and the emulator would
    # die under workers still polling it (an error and a traceback each). Whoever started the stack stops it, in
    # order: workers, API, emulator.
    if log_path is not None:
        # Output to a file: tests that must see why a process did something read its log lines there.
        with log_path.open("ab") as log:
            return subprocess.Popen(argv, env=full_env, stdout=log, stderr=log, process_group=0)  # noqa: S603
    out = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(argv, env=full_env, stdout=out, stderr=out, process_group=0)  # noqa: S603


def _started(service: Service, ready_url: str, timeout: float) -> Service:
    def ready() -> bool:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode} while starting")
        return http_ok(ready_url)

    try:
        wait_until(ready, timeout=timeout, what=f"{service.name} at {ready_url}")
    except BaseException:
        service.stop(timeout=5)
        raise
    return service


def start_moto(port: int | None = None, *, quiet: bool = True, timeout: float = 30) -> Service:
    """moto in server mode: a real HTTP endpoint on 127.0.0.1 emulating every AWS service we use."""
    port = require_free_port(port, "emulator") if port else free_port()
    env = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = _spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env, quiet=quiet)
    url = f"http://127.0.0.1:{port}"
    return _started(Service("moto", proc, url, env), f"{url}/moto-api/data.json", timeout)


def start_api(env: Mapping[str, str], port: int | None = None, *, quiet: bool = True, timeout: float = 30) -> Service:
    port = require_free_port(port, "API") if port else free_port()
    argv = [sys.executable, "-m", "cli.main", "api", "--host", "127.0.0.1", "--port", str(port)]
    proc = _spawn("api", argv, env, quiet=quiet)
    url = f"http://127.0.0.1:{port}"
    return _started(Service("api", proc, url, dict(env)), f"{url}/healthz", timeout)


def start_worker(
    env: Mapping[str, str], *, quiet: bool = True, name: str = "worker", log_path: Path | None = None
) -> Service:
    proc = _spawn(name, [sys.executable, "-m", "cli.main", "worker"], env, quiet=quiet, log_path=log_path)
    return Service(name, proc, None, dict(env))
