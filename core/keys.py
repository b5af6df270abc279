"""The object-key layout: the only place that knows where uploads and outputs live in S3."""

from __future__ import annotations

import uuid

UPLOADS_PREFIX = "uploads/"
OUTPUTS_PREFIX = "processed/"
_SOURCE_NAME = "source"


def upload_key(job_id: str) -> str:
    """Where a job's upload goes. Server-generated: user filenames never become key paths."""
    return f"{UPLOADS_PREFIX}{job_id}/{_SOURCE_NAME}"


def job_id_from_upload_key(key: str) -> str | None:
    """The job id an upload key belongs to, or None for any key that is not exactly an upload key."""
    parts = key.split("/")
    if len(parts) != 3 or f"{parts[0]}/" != UPLOADS_PREFIX or parts[2] != _SOURCE_NAME:
        return None
    try:
        return str(uuid.UUID(parts[1], version=4)) if parts[1] == str(uuid.UUID(parts[1])) else None
    except ValueError:
        return None


def outputs_prefix(job_id: str) -> str:
    """Where every output of a job lives (deleting a job removes everything under it)."""
    return f"{OUTPUTS_PREFIX}{job_id}/"


def output_key(job_id: str, name: str) -> str:
    """Deterministic output keys, so a retried job overwrites its outputs instead of adding more."""
    return f"{outputs_prefix(job_id)}{name}"
