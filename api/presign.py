"""Presigned S3 links handed to clients: the upload POST and result downloads."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.schemas import UploadInstructions
from core.aws import AwsClients


def upload_post(clients: AwsClients, key: str, content_type: str, now: datetime, *, size: int) -> UploadInstructions:
    """A presigned POST whose policy pins the key, the Content-Type and the size: exactly the declared `size`."""
    s = clients.settings
    post = clients.s3_public.generate_presigned_post(
        Bucket=s.uploads_bucket,
        Key=key,  # boto3 adds the {"key": key} and {"bucket": ...} conditions itself
        Fields={"Content-Type": content_type},
        # The declared size, not just the limit: S3 refuses any other body (the route checked size <= the limit).
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=s.upload_url_ttl_seconds,
    )
    return UploadInstructions(
        url=post["url"], fields=post["fields"], expires_at=now + timedelta(seconds=s.upload_url_ttl_seconds)
    )


def download_url(clients: AwsClients, key: str) -> str:
    return clients.s3_public.generate_presigned_url(
        "get_object",
        Params={"Bucket": clients.settings.outputs_bucket, "Key": key},
        ExpiresIn=clients.settings.download_url_ttl_seconds,
    )
