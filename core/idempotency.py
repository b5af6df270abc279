"""Idempotency keys for creating jobs, after Stripe's convention.

A client sends `Idempotency-Key` with a create; a retry with the same key and the same body within 24 hours gets the
same job back (`201`, `Idempotent-Replayed: true`); the same key with a different body is refused (`409`). Keys are
scoped to the caller's API key id, stored as hashes with a fingerprint of the body, in the job
table as items of their own: a partition key that is not a UUID, which no job id, upload key or route can reach, and
removed by the table's TTL (`expires_at`) after the window.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from core.conditional import is_condition_failure
from core.errors import IdempotencyKeyReusedError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

WINDOW = timedelta(hours=24)
ITEM_PREFIX = "idempotency#"


def record_id(key_id: str, idempotency_key: str) -> str:
    """The item's key: the caller's API key id and their idempotency key, hashed."""
    return ITEM_PREFIX + hashlib.sha256(f"{key_id}\n{idempotency_key}".encode()).hexdigest()


def fingerprint(body: dict[str, Any]) -> str:
    """The request's parameters, independent of JSON spacing and key order."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def bind(self, record: str, body_fingerprint: str, job_id: str, now: datetime) -> str:
        """Bind the key to `job_id` unless it is bound already (and not expired); returns the job id it is bound to.

        Safe to retry like JobStore.create: a retried put finds its own binding. Raises IdempotencyKeyReusedError
        when the key was used with another body.
        """
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "job_id": {"S": record},
                    "fingerprint": {"S": body_fingerprint},
                    "bound_job_id": {"S": job_id},
                    "created_at": {"S": now.isoformat()},
                    "expires_at": {"N": str(int((now + WINDOW).timestamp()))},
                },
                # DynamoDB's TTL deletes within days of expiry: an expired binding counts as absent.
                ConditionExpression="attribute_not_exists(job_id) OR expires_at < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            old: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            if not old:
                key: dict[str, Any] = {"job_id": {"S": record}}
                old = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            if old is None:
                raise
            if old["fingerprint"]["S"] != body_fingerprint:
                raise IdempotencyKeyReusedError() from None
            return str(old["bound_job_id"]["S"])
        return job_id
