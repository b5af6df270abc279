"""Per-key request limits that hold across every API task: a one-minute window counted in DynamoDB.

Each key's minute is one item (`window_id` = `<key id>#<minute start, epoch seconds>`). A request adds 1 to its
`request_count` with one UpdateItem whose condition lets the count grow only while it is below the key's limit: the
server applies it atomically, so all tasks count in the same place and a key never gets more than its limit in a
window, whatever the number of tasks. A refused request is not counted. `expires_at` lets DynamoDB's TTL remove the
item once its minute is long over.

A fixed window, not a sliding one: one round trip per request and no read-modify-write; the price is that a client
can spend one window's limit at its end and the next one's at its start (at most twice the limit in any 60 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from core.conditional import is_condition_failure

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window ends (>= 1): the `RateLimit-Reset` and, when refused, `Retry-After`
    window_end: float  # epoch seconds


def window_of(now: float) -> tuple[int, float]:
    """The start of the window `now` falls in, and the seconds left in it."""
    start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    return start, start + WINDOW_SECONDS - now


def refused(limit: int, now: float) -> Decision:
    start, left = window_of(now)
    return Decision(False, limit, 0, max(1, math.ceil(left)), start + WINDOW_SECONDS)


class RateLimitStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def hit(self, key_id: str, limit: int, now: float) -> Decision:
        """Count one request of `key_id` in the window of `now`, unless the window already holds `limit`."""
        start, left = window_of(now)
        try:
            attributes = self._db.update_item(
                TableName=self._table,
                Key={"window_id": {"S": f"{key_id}#{start}"}},
                UpdateExpression="ADD request_count :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(request_count) OR request_count < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expires": {"N": str(start + 2 * WINDOW_SECONDS)},
                },
                ReturnValues="UPDATED_NEW",
            )["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                return refused(limit, now)
            raise
        used = int(attributes["request_count"]["N"])
        return Decision(True, limit, max(0, limit - used), max(1, math.ceil(left)), start + WINDOW_SECONDS)
