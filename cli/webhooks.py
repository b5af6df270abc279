"""`imgpipe webhooks listen`: a tiny receiver for trying webhooks on a local stack. It prints each delivery and
whether its signature verifies (core/webhooks/signature.py, the check README "Webhooks" shows), and answers 200, or
500 to the first `--fail` deliveries, to watch the retries."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any

import click

from core.api_keys import LOCAL_DEV_SIGNING_SECRET
from core.webhooks.signature import EVENT_HEADER, HEADER, SignatureError, verify


def _summary(body: bytes) -> str:
    try:
        job = json.loads(body)
        return f"job {job.get('job_id')} {job.get('status')}"
    except (ValueError, AttributeError):
        return f"{len(body)} bytes that are not a job"


class _Receiver(http.server.ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], secret: str, fail: int) -> None:
        super().__init__(address, _Handler)
        self.secret = secret
        self.failures_left = fail
        self.lock = threading.Lock()

    def next_status(self) -> int:
        with self.lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 500
            return 200


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 16 * 1024 * 1024))
        try:
            verify(self.server.secret, body, self.headers.get(HEADER))
            verdict, color = "signature verified", "green"
        except SignatureError as exc:
            verdict, color = f"signature NOT verified: {exc}", "red"
        status = self.server.next_status()
        click.secho(
            f"POST {self.path} {_summary(body)} event={self.headers.get(EVENT_HEADER)} -> {verdict}; answered {status}",
            fg=color,
        )
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass  # the line above says it all


@click.group()
def webhooks() -> None:
    """Try webhooks locally."""


@webhooks.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int)
@click.option(
    "--secret",
    default=LOCAL_DEV_SIGNING_SECRET,
    show_default="the local dev key's",
    envvar="IMGPIPE_WEBHOOK_SECRET",
    help="Signing secret of the key whose jobs are delivered here.",
)
@click.option("--fail", default=0, show_default=True, type=click.IntRange(min=0), help="Answer 500 to the first N.")
def listen(host: str, port: int, secret: str, fail: int) -> None:
    """Receive webhooks: print each delivery and whether its signature verifies. Create jobs with
    callback_url http://HOST:PORT/ (any path). Ctrl-C stops."""
    server = _Receiver((host, port), secret, fail)
    click.echo(f"listening on http://{host}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
