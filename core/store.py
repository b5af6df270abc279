"""The DynamoDB job store. Every status change is a conditional write, so duplicates and stale workers lose."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from core.conditional import conditional_update, is_condition_failure
from core.deletion import TOMBSTONE_REMOVES
from core.items import from_item, to_item
from core.jobs import (
    RETRIES_EXHAUSTED,
    UPLOAD_EXPIRED,
    Job,
    JobErrorInfo,
    JobResult,
    JobStatus,
    allowed_sources,
    utcnow,
)
from core.listing import index_attributes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.literals import ReturnValueType
    from mypy_boto3_dynamodb.type_defs import UpdateItemOutputTypeDef

# The sparse index of live leases: only jobs that hold a lease carry `lease_shard`, so it lists exactly the jobs a
# worker owns (or owned), ordered by `lease_until`. A few fixed shards, not one key, spread its writes (every claim
# and heartbeat is one) over several partitions; the sweeper queries each shard.
LEASES_INDEX = "live-leases"
LEASE_SHARDS = 4


def lease_shard(job_id: str) -> int:
    return zlib.crc32(job_id.encode()) % LEASE_SHARDS


class JobStore:
    def __init__(self, client: DynamoDBClient, table: str, *, publish_claim_seconds: int = 120) -> None:
        """`publish_claim_seconds`: how long the write that ends a job reserves its SNS publish for the writer
        (the worker passes its visibility timeout); a duplicate delivery publishes only after that."""
        self._db = client
        self._table = table
        self._publish_claim_seconds = publish_claim_seconds

    def _publish_until(self, now: datetime) -> int:
        return int(now.timestamp()) + self._publish_claim_seconds

    def _publish_reservation(self, now: datetime) -> dict[str, Any]:
        """Values of the write that ends a job: its publish is reserved for the writer until `publish_until`, and the
        job stays in the index of live leases (`lease_until` = that time) until mark_notified, so that the sweeper
        publishes an outcome whose writer died before publishing it, with no delivery left to do so."""
        until = self._publish_until(now)
        return {"publish_until": until, "lease_until": until}

    def _failure_values(self, error: JobErrorInfo, now: datetime) -> dict[str, Any]:
        return {
            "updated_at": now.isoformat(),
            "error": error.model_dump_json(),
            # Kept apart from the JSON so a condition can test it (see claim).
            "error_code": error.code,
            # The failing write reserves the outcome's publish for its writer (see take_publish).
            **self._publish_reservation(now),
        }

    def ping(self) -> None:
        """Raises when the table cannot be reached (readiness)."""
        self._db.describe_table(TableName=self._table)

    def create(self, job: Job) -> Job:
        """Store a new job, or find the one already stored under its id; returns the job as stored.

        Safe to retry: when botocore retries a put whose first attempt was written but whose answer was lost, the
        retry fails the "must not exist" condition and the item it finds is this very job (compare with `==`).
        """
        try:
            item = to_item(job)
            if job.lease_until is not None:
                # A pending job waits in the index until its upload window ends (see worker/pending.py).
                item["lease_shard"] = {"N": str(lease_shard(job.job_id))}
            item.update(index_attributes(job))  # listed by its owner (core/listing.py)
            self._db.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(job_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            existing: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            stored = from_item(existing) if existing else self.get(job.job_id)
            if stored is None:  # removed in between (TTL): nothing of ours to recognise
                raise
            return stored
        return job

    def get(self, job_id: str) -> Job | None:
        item = self._db.get_item(TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True)
        return from_item(item["Item"]) if "Item" in item else None

    def _transition(
        self,
        job_id: str,
        target: JobStatus,
        set_values: dict[str, Any],
        *,
        extra_condition: str = "",
        condition_values: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        extra_names: dict[str, str] | None = None,
        add_attempt: bool = False,
    ) -> Job | None:
        """Move a job to `target` if its stored status allows it (and `extra_condition` holds); None if not."""
        sources = allowed_sources(target)
        names = {"#status": "status", **(extra_names or {})}
        values: dict[str, Any] = {f":src{i}": s.value for i, s in enumerate(sources)}
        values[":target"] = target.value
        values.update(condition_values or {})
        sets = ["#status = :target"]
        for i, (name, value) in enumerate(set_values.items()):
            names[f"#f{i}"] = name
            values[f":v{i}"] = value
            sets.append(f"#f{i} = :v{i}")
        expression = "SET " + ", ".join(sets)
        if add_attempt:
            expression += " ADD attempts :one"
            values[":one"] = 1
        if remove:
            expression += " REMOVE " + ", ".join(remove)
        condition = f"attribute_exists(job_id) AND #status IN ({', '.join(f':src{i}' for i in range(len(sources)))})"
        if extra_condition:
            condition += f" AND ({extra_condition})"
        return self._update(job_id, expression, condition, values, names)

    def _update(
        self, job_id: str, expression: str, condition: str, values: dict[str, Any], names: dict[str, str] | None = None
    ) -> Job | None:
        """One conditional UpdateItem: the job as written, or None when the condition does not hold."""
        response = self._write(job_id, expression, condition, values, names, returns="ALL_NEW")
        return from_item(response["Attributes"]) if response is not None else None

    def _write(
        self,
        job_id: str,
        expression: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None,
        *,
        returns: ReturnValueType,
    ) -> UpdateItemOutputTypeDef | None:
        return conditional_update(
            self._db,
            self._table,
            {"job_id": {"S": job_id}},
            expression,
            condition,
            values,
            names or {"#status": "status"},
            returns=returns,
        )

    def claim(
        self,
        job_id: str,
        *,
        etag: str | None,
        lease_seconds: int,
        now: datetime | None = None,
        uploaded_at: datetime | None = None,
    ) -> Job | None:
        """Take a job for processing: from upload_pending if the file was uploaded (`uploaded_at`, else now) before
        the upload window closed, from a processing job whose owner's lease ran out, or from a job that failed only
        because its retries ran out (a DLQ redrive of the same upload: same etag).

        Returns the claimed job (its `attempts` is this attempt's fencing token), or None when another delivery
        already finished it, a live worker holds it or the upload came too late.
        """
        now = now or utcnow()
        uploaded = int((uploaded_at or now).timestamp())
        return self._transition(
            job_id,
            JobStatus.PROCESSING,
            {
                "updated_at": now.isoformat(),
                "lease_until": int((now + timedelta(seconds=lease_seconds)).timestamp()),
                "source_etag": etag or "",
                "lease_shard": lease_shard(job_id),
            },
            # Jobs created before upload_deadline existed have none: their window cannot be checked here.
            extra_condition="(#status = :pending AND (attribute_not_exists(upload_deadline) OR upload_deadline > :up))"
            " OR (#status = :processing AND lease_until < :now)"
            " OR (#status = :failed AND error_code = :exhausted AND source_etag = :etag)",
            condition_values={
                ":pending": JobStatus.UPLOAD_PENDING.value,
                ":processing": JobStatus.PROCESSING.value,
                ":failed": JobStatus.FAILED.value,
                ":exhausted": RETRIES_EXHAUSTED,
                ":now": int(now.timestamp()),
                ":up": uploaded,
                ":etag": etag or "",
            },
            # A redriven job gets a new outcome to publish.
            remove=("#f_error", "#f_error_code", "notified", "publish_until"),
            extra_names={"#f_error": "error", "#f_error_code": "error_code"},
            add_attempt=True,
        )

    def extend_lease(self, job: Job, *, lease_seconds: int) -> bool:
        """Heartbeat: push the lease forward while this attempt still owns the job."""
        now = utcnow()
        return (
            self._transition(
                job.job_id,
                JobStatus.PROCESSING,
                {"lease_until": int((now + timedelta(seconds=lease_seconds)).timestamp())},
                extra_condition="#status = :processing AND attempts = :attempt",
                condition_values={":processing": JobStatus.PROCESSING.value, ":attempt": job.attempts},
            )
            is not None
        )

    def release(self, job: Job) -> None:
        """Give a job back after a transient error, so its redelivered message can claim it at once.

        The lease ends now (not at 0): the sweeper measures from its end how long nobody has reclaimed the job.
        """
        self._transition(
            job.job_id,
            JobStatus.PROCESSING,
            {"lease_until": int(utcnow().timestamp()) - 1},
            extra_condition="#status = :processing AND attempts = :attempt",
            condition_values={":processing": JobStatus.PROCESSING.value, ":attempt": job.attempts},
        )

    def complete(self, job: Job, result: JobResult) -> Job | None:
        """Record the result, only if this attempt still owns the job (a stale worker's write is refused)."""
        now = utcnow()
        return self._transition(
            job.job_id,
            JobStatus.COMPLETED,
            # The finishing write also reserves the outcome's publish for this attempt (see take_publish).
            {
                "updated_at": now.isoformat(),
                "result": result.model_dump_json(),
                **self._publish_reservation(now),
            },
            extra_condition="#status = :processing AND attempts = :attempt",
            condition_values={":processing": JobStatus.PROCESSING.value, ":attempt": job.attempts},
        )

    def fail(self, job: Job, error: JobErrorInfo) -> Job | None:
        """End a job as failed; from processing only by the attempt that owns it."""
        now = utcnow()
        return self._transition(
            job.job_id,
            JobStatus.FAILED,
            self._failure_values(error, now),
            extra_condition="#status = :pending OR (#status = :processing AND attempts = :attempt)",
            condition_values={
                ":pending": JobStatus.UPLOAD_PENDING.value,
                ":processing": JobStatus.PROCESSING.value,
                ":attempt": job.attempts,
            },
        )

    def delete(self, job_id: str, *, owner: str, now: datetime | None = None) -> Job | None:
        """Turn the owner's job into a tombstone (status deleted), whatever its status; None if it is not the owner's
        or already deleted. The tombstone keeps the id, owner and times until the TTL (`expires_at`) removes it, so
        that no late event can bring the job back; it loses the result, the error, the client's names for the file
        and every index entry (lists, live leases), so nothing lists, sweeps or finishes it any more."""
        now = now or utcnow()
        return self._transition(
            job_id,
            JobStatus.DELETED,
            {"updated_at": now.isoformat(), "filename": ""},
            extra_condition="#f_owner = :owner",
            condition_values={":owner": owner},
            extra_names={"#f_owner": "owner", **{f"#r_{name}": name for name in TOMBSTONE_REMOVES}},
            remove=tuple(f"#r_{name}" for name in TOMBSTONE_REMOVES),
        )

    # --- stranded jobs (worker/sweeper.py) -------------------------------------------------------------------

    def leases_ended_before(self, cutoff: int) -> Iterator[Job]:
        """Jobs in the index of live leases whose lease ended before `cutoff` (epoch seconds): a query per shard.

        The index is eventually consistent: callers must re-check with a conditional write (fail_stranded).
        """
        for shard in range(LEASE_SHARDS):
            paginator = self._db.get_paginator("query")
            for page in paginator.paginate(
                TableName=self._table,
                IndexName=LEASES_INDEX,
                KeyConditionExpression="lease_shard = :shard AND lease_until < :cutoff",
                ExpressionAttributeValues={":shard": {"N": str(shard)}, ":cutoff": {"N": str(cutoff)}},
            ):
                yield from (from_item(item) for item in page.get("Items", []))

    def fail_stranded(self, job: Job, error: JobErrorInfo, *, cutoff: int) -> Job | None:
        """Fail a processing job that nobody reclaimed: still the same attempt, its lease ended before `cutoff`.

        Like complete/fail, it keeps the job in the index until its outcome is published (mark_notified).
        """
        return self._transition(
            job.job_id,
            JobStatus.FAILED,
            self._failure_values(error, utcnow()),
            extra_condition="#status = :processing AND attempts = :attempt AND lease_until < :cutoff",
            condition_values={
                ":processing": JobStatus.PROCESSING.value,
                ":attempt": job.attempts,
                ":cutoff": cutoff,
            },
        )

    def fail_never_claimed(self, job: Job, error: JobErrorInfo, *, etag: str, cutoff: int) -> Job | None:
        """Fail a pending job whose file arrived in its window but whose message died before any claim: still
        pending, its window (its `lease_until`) ended before `cutoff`. `etag` lets a DLQ redrive claim it."""
        return self._transition(
            job.job_id,
            JobStatus.FAILED,
            {**self._failure_values(error, utcnow()), "source_etag": etag},
            extra_condition="#status = :pending AND lease_until < :cutoff",
            condition_values={":pending": JobStatus.UPLOAD_PENDING.value, ":cutoff": cutoff},
        )

    def forget_pending(self, job: Job) -> None:
        """Take a pending job whose file never arrived out of the index; it keeps reading as expired."""
        self._remove_lease(job, "#status = :status", {":status": JobStatus.UPLOAD_PENDING.value})

    def clear_lease(self, job: Job) -> None:
        """Take a finished job out of the index of live leases (never one that a redrive has claimed again)."""
        self._remove_lease(
            job,
            "#status <> :processing AND #status <> :pending",
            {":processing": JobStatus.PROCESSING.value, ":pending": JobStatus.UPLOAD_PENDING.value},
        )

    def _remove_lease(self, job: Job, condition: str, values: dict[str, Any]) -> None:
        self._update(job.job_id, "REMOVE lease_until, lease_shard", f"attribute_exists(job_id) AND {condition}", values)

    def expire_upload(self, job_id: str, *, uploaded_at: datetime) -> Job | None:
        """Fail a pending job whose file arrived (`uploaded_at`) after its upload window closed; None if it is not
        (or no longer) such a job. The file is never processed; the outcome is published like any other."""
        now = utcnow()
        error = JobErrorInfo(
            code=UPLOAD_EXPIRED,
            message="The file arrived after the upload link expired, so it was not processed; create a new job.",
        )
        return self._transition(
            job_id,
            JobStatus.FAILED,
            self._failure_values(error, now),
            extra_condition="#status = :pending AND upload_deadline <= :up",
            condition_values={":pending": JobStatus.UPLOAD_PENDING.value, ":up": int(uploaded_at.timestamp())},
        )

    def take_publish(self, job: Job, *, now: datetime | None = None) -> Job | None:
        """Take over the publish of a finished job's outcome that nobody published and whose publish claim ran out
        (its writer died or stalled between the write and the publish); None if it was published or is claimed."""
        now = now or utcnow()
        return self._update(
            job.job_id,
            "SET publish_until = :until",
            "attempts = :attempt AND #status = :status"
            " AND (attribute_not_exists(notified) OR notified = :false)"
            " AND (attribute_not_exists(publish_until) OR publish_until <= :now)",
            {
                ":until": self._publish_until(now),
                ":attempt": job.attempts,
                ":status": job.status.value,
                ":false": False,
                ":now": int(now.timestamp()),
            },
        )

    def mark_notified(self, job_id: str) -> None:
        """Remember that the outcome was published, so a redelivered message publishes only what was missed, and take
        the job out of the index of live leases. Not for a job a redrive has claimed again: its new outcome is still
        to be published."""
        self._write(
            job_id,
            "SET notified = :true REMOVE lease_until, lease_shard",
            "attribute_exists(job_id) AND #status <> :processing",
            {":true": True, ":processing": JobStatus.PROCESSING.value},
            None,
            returns="NONE",
        )
