"""Webhook receivers for tests: `imgpipe webhooks listen` as a process, and an in-process one that keeps each raw
delivery (headers and body bytes) for checking signatures the way a client would."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.processes import free_port, wait_until

README = Path(__file__).parent.parent / "README.md"


def readme_verify_snippet() -> str:
    """The Python code block between the README's webhook-verify markers."""
    found = re.search(
        r"<!-- webhook-verify:start -->\s*```python\n(.*?)```\s*<!-- webhook-verify:end -->",
        README.read_text(encoding="utf-8"),
        re.DOTALL,
    )
    assert found, "README.md has no webhook-verify snippet"
    return found.group(1)


@dataclass
class Listener:
    """`imgpipe webhooks listen` running as its own process; `output` is what it printed so far."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith("POST ")]


@contextmanager
def listener(tmp_path: Path, *args: str) -> Iterator[Listener]:
    port = free_port()
    log = tmp_path / f"listen-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "webhooks", "listen", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Listener(f"http://127.0.0.1:{port}/hooks/imgpipe", process, log)
    try:
        wait_until(lambda: "listening on" in running.output, timeout=30, what="imgpipe webhooks listen to start")
        yield running
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class Capture:
    """An HTTP receiver on 127.0.0.1 that answers 200 and keeps every POST as it arrived."""

    def __init__(self) -> None:
        deliveries: list[Delivery] = []
        self.deliveries = deliveries

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                deliveries.append(Delivery(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/in"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
