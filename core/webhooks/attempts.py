"""The record of a job's webhook attempts: its `callbacks` list, appended to and capped in DynamoDB.

Appending is one conditional UpdateItem (list_append), so concurrent writers (duplicate deliveries of an outcome)
never overwrite each other's entries. At the cap, the oldest entry is dropped first (a second conditional write:
DynamoDB refuses to remove from and append to one list in a single expression).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from core.conditional import is_condition_failure
from core.items import serializer
from core.jobs import CallbackAttempt

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

log = logging.getLogger(__name__)


class CallbackLog:
    def __init__(self, client: DynamoDBClient, table: str, *, cap: int) -> None:
        self._db = client
        self._table = table
        self._cap = cap

    def record(self, job_id: str, attempt: CallbackAttempt) -> bool:
        """Append `attempt` to the job's callbacks; False when the job is gone (or the list would not shrink)."""
        entry = serializer.serialize([attempt.model_dump(mode="json", exclude_none=True)])
        for _ in range(4):
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key={"job_id": {"S": job_id}},
                    UpdateExpression="SET callbacks = list_append(if_not_exists(callbacks, :empty), :new)",
                    ConditionExpression="attribute_exists(job_id) AND "
                    "(attribute_not_exists(callbacks) OR size(callbacks) < :cap)",
                    ExpressionAttributeValues={":empty": {"L": []}, ":new": entry, ":cap": {"N": str(self._cap)}},
                )
                return True
            except ClientError as exc:
                if not is_condition_failure(exc):
                    raise
            if not self._drop_oldest(job_id):
                return False
        log.warning("could not record a webhook attempt: the job's callbacks list stayed full")
        return False

    def _drop_oldest(self, job_id: str) -> bool:
        """Remove the first entry of a full list; False if the job is gone. A failed condition here means another
        writer made room meanwhile: the append is tried again either way."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="REMOVE callbacks[0]",
                ConditionExpression="attribute_exists(job_id) AND size(callbacks) >= :cap",
                ExpressionAttributeValues={":cap": {"N": str(self._cap)}},
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            item = self._db.get_item(
                TableName=self._table, Key={"job_id": {"S": job_id}}, ProjectionExpression="job_id"
            )
            return "Item" in item
        return True
