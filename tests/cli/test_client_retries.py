"""The CLI's API client asks again after a rate limit, a brief outage or a lost request, and a repeated create never
makes a second job: every POST /v1/jobs carries one Idempotency-Key for all its attempts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cli.client import ApiClient, ApiError

CREATED = {
    "job_id": "0b5c1e52-2f6e-4f0e-9d52-6a1f3c1d2e4f",
    "status": "upload_pending",
    "upload": {"url": "http://s3.local/uploads", "fields": {"key": "uploads/x"}, "expires_at": "2026-12-01T00:00:00Z"},
    "status_url": "/v1/jobs/0b5c1e52-2f6e-4f0e-9d52-6a1f3c1d2e4f",
}


def _client(
    answers: list[Callable[[httpx.Request], httpx.Response]],
) -> tuple[ApiClient, list[httpx.Request], list[float]]:
    """A client whose requests get `answers` in turn; the requests it sent and the pauses it took."""
    sent: list[httpx.Request] = []
    pauses: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answers[len(sent) - 1](request)

    client = ApiClient("http://api.local", "key", transport=httpx.MockTransport(handler), sleep=pauses.append)
    return client, sent, pauses


def _status(code: int, retry_after: str | None = None) -> Callable[[httpx.Request], httpx.Response]:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"error": {"code": "dependency_unavailable" if code == 503 else "rate_limited", "message": "later"}}
    return lambda _: httpx.Response(code, json=body, headers=headers)


def _created(_: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json=CREATED)


def _dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    return path


def test_a_create_is_asked_again_after_503_and_429_with_one_idempotency_key(image: Path) -> None:
    client, sent, pauses = _client([_status(503, "1"), _status(429, "2"), _created])
    created = client.create_job(image)
    assert str(created.job_id) == CREATED["job_id"]
    assert pauses == [1.0, 2.0]
    keys = {r.headers.get("Idempotency-Key") for r in sent}
    assert len(sent) == 3 and len(keys) == 1 and None not in keys


def test_each_create_has_its_own_idempotency_key(image: Path) -> None:
    client, sent, _ = _client([_created, _created])
    client.create_job(image)
    client.create_job(image)
    assert sent[0].headers["Idempotency-Key"] != sent[1].headers["Idempotency-Key"]


def test_a_request_lost_on_the_way_is_sent_again(image: Path) -> None:
    client, sent, pauses = _client([_dropped, _created])
    client.create_job(image)
    assert len(sent) == 2 and len(pauses) == 1
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]


def test_the_error_is_shown_once_the_attempts_are_spent() -> None:
    client, sent, _ = _client([_status(503, "0")] * 3)
    with pytest.raises(ApiError) as raised:
        client.get_job(CREATED["job_id"])
    assert raised.value.code == "dependency_unavailable" and raised.value.status == 503 and len(sent) == 3


def test_a_long_retry_after_is_not_waited_for() -> None:
    client, sent, pauses = _client([_status(429, "60")])
    with pytest.raises(ApiError) as raised:
        client.get_job(CREATED["job_id"])
    assert raised.value.code == "rate_limited" and len(sent) == 1 and pauses == []


def test_a_refused_connection_is_said_at_once() -> None:
    client = ApiClient("http://127.0.0.1:9", "key", timeout=2, sleep=lambda _: pytest.fail("no retry expected"))
    with pytest.raises(ApiError) as raised:
        client.get_job(CREATED["job_id"])
    assert raised.value.code == "api_unreachable"


def test_other_errors_are_not_asked_again() -> None:
    client, sent, _ = _client([_status(404)])
    with pytest.raises(ApiError):
        client.get_job(CREATED["job_id"])
    assert len(sent) == 1
