"""Rate limits per key (issue 15 point 6), over HTTP against real API processes and the moto server: the count is
shared by every API task, answers past it are `429 rate_limited` with `Retry-After`, and a count that cannot be
made lets requests through (fail open) with a log line and a metric."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.ratelimit import UNCHECKED_METRIC
from cli.processes import Service, start_api, wait_until
from cli.stack import LocalStack
from core.api_keys import ApiKeyStore
from core.aws import AwsClients
from core.rate_limits import WINDOW_SECONDS

BODY = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}
RATE = 3


@pytest.fixture(scope="module")
def second_api(stack: LocalStack) -> Iterator[Service]:
    """Another API task of the same deployment: same tables, its own process and memory."""
    api = start_api(stack.env)
    try:
        yield api
    finally:
        api.stop()


def _key(stack: LocalStack, clients: AwsClients, rate: int = RATE) -> str:
    return ApiKeyStore(clients.dynamodb, stack.settings.api_keys_table).create("rate test", rate_per_minute=rate)[1]


def _early_in_a_window() -> None:
    """The requests of a test must fall in one window: start them with at least 15 s of it left."""
    wait_until(lambda: time.time() % WINDOW_SECONDS < WINDOW_SECONDS - 15, timeout=20, what="a fresh window")


def _limits(url: str, token: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/limits", headers={"X-API-Key": token, **headers}, timeout=30)


def test_a_key_gets_its_rate_then_429_with_retry_after(stack: LocalStack, clients: AwsClients) -> None:
    assert stack.api is not None and stack.api.url is not None
    token = _key(stack, clients)
    _early_in_a_window()
    answers = [_limits(stack.api.url, token) for _ in range(RATE + 1)]
    assert [a.status_code for a in answers] == [200] * RATE + [429]
    assert [a.headers["RateLimit-Limit"] for a in answers] == [str(RATE)] * (RATE + 1)
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    reset = int(refused.headers["RateLimit-Reset"])
    assert 1 <= reset <= WINDOW_SECONDS
    assert refused.headers["Retry-After"] == str(reset)
    assert refused.json()["error"] == {
        "code": "rate_limited",
        "message": f"This API key may make {RATE} requests per minute and made them all; retry in {reset} seconds.",
        "details": {"limit": RATE, "retry_after_seconds": reset},
    }
    # Refused before the body is read: a body that would be a 400 is never parsed.
    broken = httpx.post(
        f"{stack.api.url}/v1/jobs",
        content=b"{not json",
        headers={"X-API-Key": token, "Content-Type": "application/json"},
        timeout=30,
    )
    assert broken.status_code == 429
    # Other keys keep their own count; the dev key is untouched by this one's.
    assert _limits(stack.api.url, _key(stack, clients)).status_code == 200


def test_the_limit_holds_across_api_tasks(stack: LocalStack, clients: AwsClients, second_api: Service) -> None:
    assert stack.api is not None and stack.api.url is not None and second_api.url is not None
    token = _key(stack, clients)
    _early_in_a_window()
    first = [_limits(stack.api.url, token) for _ in range(2)]
    second = [_limits(second_api.url, token) for _ in range(2)]
    assert [a.status_code for a in first + second] == [200, 200, 200, 429]
    assert second[0].headers["RateLimit-Remaining"] == "0"
    # The first task learns it too: the table, not its memory, holds the count.
    assert _limits(stack.api.url, token).status_code == 429


def test_unauthenticated_requests_are_not_counted(stack: LocalStack) -> None:
    """A 401 comes before the count: no RateLimit headers (the WAF's per-IP rule limits anonymous floods)."""
    assert stack.api is not None and stack.api.url is not None
    answer = _limits(stack.api.url, "ipk_nobody_0123456789abcdef0123")
    assert answer.status_code == 401
    assert "RateLimit-Limit" not in answer.headers


def _log_lines(path: Path) -> list[dict[str, object]]:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


def test_a_count_that_cannot_be_made_lets_requests_through(
    stack: LocalStack, clients: AwsClients, tmp_path: Path
) -> None:
    """The counts' table is missing (a broken deployment, DynamoDB refusing): requests are served unlimited, and
    the API says so in a warning and a `RateLimitUnchecked` metric each time it tries the table (then it leaves the
    table alone for a few seconds)."""
    log_path = tmp_path / "api.log"
    api = start_api({**stack.env, "IMGPIPE_RATE_LIMITS_TABLE": "no-such-table"}, log_path=log_path)
    try:
        assert api.url is not None
        token = _key(stack, clients, rate=1)
        answers = [_limits(api.url, token, **{"X-Request-Id": f"unchecked-{i}"}) for i in range(3)]
    finally:
        api.stop()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("RateLimit-Limit" not in a.headers for a in answers)
    lines = _log_lines(log_path)
    warnings = [line for line in lines if str(line.get("msg", "")).startswith("rate limit not checked")]
    assert warnings and warnings[0]["request_id"] == "unchecked-0"
    assert warnings[0]["level"] == "warning" and "ResourceNotFoundException" in str(warnings[0]["msg"])
    metrics = [line for line in lines if UNCHECKED_METRIC in line]
    assert len(metrics) == len(warnings) and all(m[UNCHECKED_METRIC] == 1 for m in metrics)
