"""A client's jobs, newest first: the two sparse indexes that list them, their opaque cursors and the paged query.

Every job with an owner carries `created_key` (its creation time, sortable, then its id, so that two jobs of the same
microsecond stay distinct): the index `owner-created` lists an owner's jobs by it. A job created with a `client_ref`
also carries `owner_ref` (owner + "#" + ref) for the index `owner-ref-created`. A tombstone loses both
(core/store.py `delete`), so deleted jobs leave the lists; jobs made before keys had ids have no owner and are never
listed. Both indexes are eventually consistent: a job created or deleted a moment ago may still be missing or listed.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.deadline import time_left
from core.errors import InvalidCursorError
from core.items import from_item
from core.jobs import Job, JobStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

OWNER_INDEX = "owner-created"
REF_INDEX = "owner-ref-created"
# Index name -> (hash key, range key), all strings: core/provision.py and terraform/modules/data-plane create these.
INDEXES: dict[str, tuple[str, str]] = {OWNER_INDEX: ("owner", "created_key"), REF_INDEX: ("owner_ref", "created_key")}

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
CLIENT_REF_MAX = 200
# Items one request may read from an index before the status filter: a filter that matches few jobs answers with
# fewer than `limit` (maybe none) and a cursor, instead of reading a client's whole history in one request.
MAX_READ = 500
_FILTERED_PAGE = 100


def created_key(job: Job) -> str:
    # A fixed-width UTC timestamp: isoformat() drops the microseconds when they are 0, which would break the order.
    return f"{job.created_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}#{job.job_id}"


def owner_ref(owner: str, client_ref: str) -> str:
    return f"{owner}#{client_ref}"  # key ids hold no "#", so the pair is unambiguous


def index_attributes(job: Job) -> dict[str, Any]:
    """The DynamoDB attributes that put a new job in the lists of its owner."""
    if job.owner is None:
        return {}
    attributes = {"created_key": {"S": created_key(job)}}
    if job.client_ref is not None:
        attributes["owner_ref"] = {"S": owner_ref(job.owner, job.client_ref)}
    return attributes


def _partition(owner: str, client_ref: str | None) -> tuple[str, str, str]:
    """(index, hash key name, hash key value) of the list asked for."""
    if client_ref is None:
        return OWNER_INDEX, "owner", owner
    return REF_INDEX, "owner_ref", owner_ref(owner, client_ref)


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, hash_name: str, hash_value: str) -> dict[str, str]:
    """The position a cursor holds, only if it lies in the caller's own list: a cursor names its partition (the
    owner), so a cursor edited to name another owner's partition is refused, as is anything that is not a cursor."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:  # bad base64 (binascii.Error), bytes that are not UTF-8 or not JSON
        raise InvalidCursorError() from None
    if (
        not isinstance(position, dict)
        or set(position) != {hash_name, "created_key", "job_id"}
        or not all(isinstance(v, str) for v in position.values())
        or position[hash_name] != hash_value
        or not position["created_key"].endswith("#" + position["job_id"])
    ):
        raise InvalidCursorError()
    return position


def _status_filter(status: JobStatus, now: datetime) -> tuple[str, dict[str, Any]]:
    """A FilterExpression for the status a reader sees (Job.status_at): expired is a pending job whose window
    closed, so upload_pending means its window is still open."""
    if status is JobStatus.EXPIRED:
        condition = "#status = :pending AND upload_deadline <= :now"
    elif status is JobStatus.UPLOAD_PENDING:
        condition = "#status = :pending AND upload_deadline > :now"
    else:
        return "#status = :status", {":status": {"S": status.value}}
    # Whole seconds: the window's end is a whole second, so now >= end <=> int(now) >= end.
    return condition, {":pending": {"S": JobStatus.UPLOAD_PENDING.value}, ":now": {"N": str(int(now.timestamp()))}}


def list_jobs(
    db: DynamoDBClient,
    table: str,
    *,
    owner: str,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    client_ref: str | None = None,
    status: JobStatus | None = None,
    cursor: str | None = None,
    reserve_seconds: float = 0,
) -> tuple[list[Job], str | None]:
    """Up to `limit` of the owner's jobs (those with `client_ref`, if given; of `status`, if given), newest first,
    after the position `cursor` holds; and the cursor of the next page, or None when no more can follow.

    DynamoDB applies Limit before the filter: with a status, pages are read until `limit` jobs match, the end is
    reached, MAX_READ items were read or the request's deadline is `reserve_seconds` away; the cursor then resumes
    from where reading stopped (so a page may hold fewer than `limit` jobs and still have a next one).
    """
    index, hash_name, hash_value = _partition(owner, client_ref)
    query: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#h = :h",
        "ExpressionAttributeNames": {"#h": hash_name},
        "ExpressionAttributeValues": {":h": {"S": hash_value}},
        "ScanIndexForward": False,
    }
    if status is not None:
        condition, values = _status_filter(status, now)
        query["FilterExpression"] = condition
        query["ExpressionAttributeNames"]["#status"] = "status"
        query["ExpressionAttributeValues"].update(values)
    start = decode_cursor(cursor, hash_name, hash_value) if cursor else None
    found: list[Job] = []
    resume = start  # where the next page starts: after the last job shown, or the last item read
    read = 0
    while True:
        # One job more than asked for tells whether a next page exists without a query that finds nothing.
        needed = limit + 1 - len(found)
        page_size = min(MAX_READ - read, max(needed, _FILTERED_PAGE)) if status is not None else needed
        if start is not None:
            query["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
        page = db.query(**query, Limit=page_size)
        read += page.get("ScannedCount", 0)
        for item in page.get("Items", []):
            if len(found) == limit and resume is not None:
                # One more job exists: the next page starts after the last one shown.
                return found, encode_cursor(resume)
            found.append(from_item(item))
            resume = {hash_name: hash_value, "created_key": item["created_key"]["S"], "job_id": item["job_id"]["S"]}
        evaluated = page.get("LastEvaluatedKey")
        if not evaluated:
            return found, None
        start = resume = {k: str(next(iter(v.values()))) for k, v in evaluated.items()}
        left = time_left()
        if read >= MAX_READ or (left is not None and left < reserve_seconds):
            return found, encode_cursor(start)
