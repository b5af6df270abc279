"""Jobs nobody claimed: the sweeper's check of a pending job whose upload window ended long ago.

If its file arrived in the window, its message was delivered and every delivery died before the claim (a worker
killed between receiving and claiming), so the message was dead-lettered: the job is failed with
`processing_retries_exhausted` and the upload's ETag, so that `imgpipe dlq redrive` can still run it. A file that
arrived after the window is the late upload the pipeline fails with `upload_expired`. A job whose file never arrived
leaves the index and keeps reading as `expired`, with no outcome published (nothing was processed).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.config import Settings
from core.jobs import RETRIES_EXHAUSTED, Job, JobErrorInfo
from core.metrics import emit_job
from core.store import JobStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

log = logging.getLogger(__name__)

NEVER_CLAIMED = JobErrorInfo(
    code=RETRIES_EXHAUSTED,
    message="The file was uploaded but every delivery of its event ended before a worker took the job, and its "
    "retries are used up; an operator can retry it with `imgpipe dlq redrive`.",
)


def end_pending(store: JobStore, s3: S3Client, settings: Settings, job: Job, *, cutoff: int) -> Job | None:
    """End `job` (upload_pending) if its window ended before `cutoff`: the failed job, whose outcome the caller
    publishes, or None (not due yet, its file never arrived, or another writer moved it meanwhile)."""
    if job.lease_until is None or job.lease_until >= cutoff:
        return None  # its message may still be delivered
    # Listed rather than HeadObject: a missing key then reads as absent with ListBucket scoped to the uploads prefix
    # (HeadObject answers 403 for it unless the role may list the whole bucket).
    listed = s3.list_objects_v2(Bucket=settings.uploads_bucket, Prefix=job.upload_key, MaxKeys=1)
    found = [o for o in listed.get("Contents", []) if o.get("Key") == job.upload_key]
    if not found:
        store.forget_pending(job)
        return None
    head = found[0]
    uploaded_at = head["LastModified"]
    if job.upload_deadline is not None and uploaded_at.timestamp() >= job.upload_deadline:
        return store.expire_upload(job.job_id, uploaded_at=uploaded_at)
    # Without quotes, as worker/events.py reads it from the event: a redrive's claim compares the two.
    failed = store.fail_never_claimed(job, NEVER_CLAIMED, etag=head["ETag"].strip('"'), cutoff=cutoff)
    if failed is not None:
        log.error("job never claimed although its file was uploaded: failed")
        emit_job(failed.status.value, RETRIES_EXHAUSTED, {})
    return failed
