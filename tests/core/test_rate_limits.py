"""What moto cannot show about the rate limits: the count is one atomic conditional write (moto's conditional writes
are not atomic under concurrency, DynamoDB's are), and a task stops writing for a key once its window is full."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
import boto3
import pytest
from botocore.stub import Stubber

from api import ratelimit
from api.ratelimit import RateLimits
from core.api_keys import ApiKey
from core.rate_limits import WINDOW_SECONDS, Decision, RateLimitStore, refused

NOW = 1_800_000_015.4  # 15.4 s into a window (1_800_000_000 is a multiple of 60)
START = 1_800_000_000


def _client() -> Any:
    return boto3.session.Session().client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_a_request_is_counted_by_one_conditional_update() -> None:
    client = _client()
    expected = {
        "TableName": "counts",
        "Key": {"window_id": {"S": f"abc123#{START}"}},
        # ADD under the condition, in one request: DynamoDB never lets two tasks both take the last place.
        "UpdateExpression": "ADD request_count :one SET expires_at = :expires",
        "ConditionExpression": "attribute_not_exists(request_count) OR request_count < :limit",
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": "5"},
            ":expires": {"N": str(START + 2 * WINDOW_SECONDS)},
        },
        "ReturnValues": "UPDATED_NEW",
    }
    with Stubber(client) as stub:
        stub.add_response("update_item", {"Attributes": {"request_count": {"N": "2"}}}, expected)
        stub.add_client_error("update_item", "ConditionalCheckFailedException", expected_params=expected)
        store = RateLimitStore(client, "counts")
        assert store.hit("abc123", 5, NOW) == Decision(True, 5, 3, 45, START + 60)
        assert store.hit("abc123", 5, NOW) == Decision(False, 5, 0, 45, START + 60)


class CountingStore(RateLimitStore):
    def __init__(self, answer: Decision | Exception) -> None:
        self.answer = answer
        self.calls = 0

    def hit(self, key_id: str, limit: int, now: float) -> Decision:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


KEY = ApiKey(
    key_id="abc123",
    name="test",
    secret_sha256="0" * 64,
    signing_secret="whsec_x",  # type: ignore[arg-type]
    created_at=datetime(2026, 12, 1, tzinfo=UTC),
    rate_per_minute=5,
)


class FrozenClock:
    """api/ratelimit.py's `time`, stopped: the checks below must not depend on how fast they run."""

    @staticmethod
    def time() -> float:
        return NOW

    @staticmethod
    def monotonic() -> float:
        return 1000.0


def _checks(limits: RateLimits, n: int) -> list[Decision | None]:
    async def run() -> list[Decision | None]:
        return [await limits.check(KEY) for _ in range(n)]

    return anyio.run(run)


def test_a_full_window_is_refused_without_asking_the_table_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "time", FrozenClock)
    store = CountingStore(refused(5, NOW))
    decisions = _checks(RateLimits(store), 20)
    assert store.calls == 1
    assert decisions == [Decision(False, 5, 0, 45, START + 60)] * 20


def test_a_failing_table_is_left_alone_for_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "time", FrozenClock)
    store = CountingStore(RuntimeError("table gone"))
    assert _checks(RateLimits(store), 20) == [None] * 20  # every request served unchecked
    assert store.calls == 1
