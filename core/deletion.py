"""Deleting a job: what its tombstone loses (JobStore.delete) and removing its files from S3.

The API deletes in this order: the tombstone first (a conditional write: from then on no claim, completion or redrive
can touch the job), then the upload and every output. Whatever a worker still writes after that is removed by the
worker itself: a claim that finds a tombstone removes the job's files, and so does an attempt whose completing
write fails because the job was deleted meanwhile (worker/pipeline.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.keys import outputs_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

    from core.aws import AwsClients
    from core.jobs import Job

log = logging.getLogger(__name__)

# Attributes a tombstone loses: the outcome, the client's name for the job, and every index key (the owner's lists,
# the live leases the sweeper reads).
TOMBSTONE_REMOVES = (
    "result",
    "error",
    "error_code",
    "client_ref",
    "owner_ref",
    "created_key",
    "lease_shard",
    "lease_until",
    "publish_until",
)


def remove_job_files(clients: AwsClients, job: Job) -> int:
    """Delete the job's upload and every object under its outputs prefix; returns how many outputs were removed.
    Idempotent (deleting a missing key succeeds), so a retry after a failure simply finishes the work."""
    s3, settings = clients.s3, clients.settings
    s3.delete_object(Bucket=settings.uploads_bucket, Key=job.upload_key)
    removed = 0
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.outputs_bucket, Prefix=outputs_prefix(job.job_id)):
        keys: list[ObjectIdentifierTypeDef] = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if keys:
            answer = s3.delete_objects(Bucket=settings.outputs_bucket, Delete={"Objects": keys, "Quiet": True})
            if answer.get("Errors"):
                raise RuntimeError(f"S3 refused to delete outputs of job {job.job_id}: {answer['Errors'][:3]}")
            removed += len(keys)
    log.info("removed the files of deleted job %s", job.job_id, extra={"fields": {"outputs": removed}})
    return removed
