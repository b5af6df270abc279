"""`imgpipe healthcheck api|worker`: the liveness probe the images, compose and the ECS task definitions run.

Exit 0 when healthy, 1 when not (what Docker and ECS expect), with the reason on stderr: `docker inspect` and the
ECS console show it. Liveness only: readiness (`/readyz`, DynamoDB reachable) belongs to the load balancer.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import click

from core.config import Settings, get_settings

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1

# A heartbeat may miss one long poll (the loop touches the file before each one) plus this margin before it counts
# as stuck: a receive that retries once or a slow slot release must not restart a working worker.
HEARTBEAT_MARGIN_SECONDS = 30


def heartbeat_max_age(settings: Settings) -> int:
    """Seconds after which the worker's heartbeat file counts as stale: two long polls plus a margin."""
    return 2 * settings.queue_wait_seconds + HEARTBEAT_MARGIN_SECONDS


def check_api(host: str, port: int, timeout: float) -> str | None:
    """None when GET /healthz answers 2xx, else why not."""
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} unreachable: {getattr(exc, 'reason', exc)}"
    return None if 200 <= status < 300 else f"{url} answered {status}"


def check_worker(settings: Settings, now: float) -> str | None:
    """None when the heartbeat file was touched recently enough, else why not."""
    if not settings.heartbeat_file:
        return "IMGPIPE_HEARTBEAT_FILE is not set: the worker writes no heartbeat to check"
    path = Path(settings.heartbeat_file)
    try:
        age = now - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat yet at {path}"
    max_age = heartbeat_max_age(settings)
    if age >= max_age:
        return f"heartbeat {path} is {age:.0f}s old (stuck after {max_age}s: 2 x IMGPIPE_QUEUE_WAIT_SECONDS + 30)"
    return None


def _report(problem: str | None) -> None:
    if problem is None:
        raise SystemExit(EXIT_HEALTHY)
    click.echo(f"unhealthy: {problem}", err=True)
    raise SystemExit(EXIT_UNHEALTHY)


@click.group()
def healthcheck() -> None:
    """Liveness probe for containers: exit 0 if healthy, 1 if not (the reason on stderr)."""


@healthcheck.command("api")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the API listens (from inside).")
@click.option("--port", default=8000, show_default=True, type=int, help="The port `imgpipe api` listens on.")
@click.option("--timeout", default=4.0, show_default=True, help="Seconds to wait for /healthz.")
def api_probe(host: str, port: int, timeout: float) -> None:
    """Healthy when GET /healthz on the local API answers 2xx."""
    _report(check_api(host, port, timeout))


@healthcheck.command("worker")
def worker_probe() -> None:
    """Healthy when IMGPIPE_HEARTBEAT_FILE is younger than 2 x IMGPIPE_QUEUE_WAIT_SECONDS + 30 s."""
    _report(check_worker(get_settings(), time.time()))
