"""Presigned S3 links handed to clients: the upload POST and result downloads."""

from __future__ import annotations

import math
from datetime import datetime

from api.schemas import UploadInstructions
from core.aws import AwsClients
from core.jobs import utcnow


def upload_post(
    clients: AwsClients, key: str, content_type: str, expires_at: datetime, *, size: int
) -> UploadInstructions:
    """A presigned POST whose policy pins the key, the Content-Type and the size (exactly the declared `size`),
    valid until `expires_at` (the job's upload window: a replayed create gets the same window, not a fresh one)."""
    s = clients.settings
    expires_in = max(1, math.ceil((expires_at - utcnow()).total_seconds()))
    post = clients.s3_public.generate_presigned_post(
        Bucket=s.uploads_bucket,
        Key=key,  # boto3 adds the {"key": key} and {"bucket": ...} conditions itself
        Fields={"Content-Type": content_type},
        # The declared size, not just the limit: S3 refuses any other body (the route checked size <= the limit).
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=expires_in,
    )
    return UploadInstructions(url=post["url"], fields=post["fields"], expires_at=expires_at)
