"""The job: its model, its statuses and which status may follow which."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from core.analysis import DEFAULT_FEATURES, Analysis, AnalysisFeature
from core.errors import RetriesExhaustedError, UnsupportedFormatError, UploadExpiredError, job_failure_codes
from core.recipes import Rendition


class JobStatus(StrEnum):
    UPLOAD_PENDING = "upload_pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    # Never stored: an upload_pending job whose upload window has passed reads as expired.
    EXPIRED = "expired"
    # Stored only: the tombstone of a deleted job (core/deletion.py). The API answers 404 for it, never this status.
    DELETED = "deleted"


# The two failure codes the store and the worker set themselves (the others come from raised JobErrors). Only
# RETRIES_EXHAUSTED can be retried, by redriving its message from the DLQ; every other failure is final.
RETRIES_EXHAUSTED = RetriesExhaustedError.code
UPLOAD_EXPIRED = UploadExpiredError.code

# Stored transitions. processing -> processing is a takeover of a job whose worker died (its lease ran out);
# failed -> processing is a redrive of a job that failed with RETRIES_EXHAUSTED (the store checks the code).
# Any job may be deleted; nothing follows deleted, so no claim, completion or redrive can bring a tombstone back.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.UPLOAD_PENDING: frozenset({JobStatus.PROCESSING, JobStatus.FAILED, JobStatus.DELETED}),
    JobStatus.PROCESSING: frozenset({JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.DELETED}),
    JobStatus.COMPLETED: frozenset({JobStatus.DELETED}),
    JobStatus.FAILED: frozenset({JobStatus.PROCESSING, JobStatus.DELETED}),
    JobStatus.DELETED: frozenset(),
}

TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.EXPIRED})


def allowed_sources(target: JobStatus) -> list[JobStatus]:
    """The stored statuses a job may be in for a write that moves it to `target`."""
    return [source for source, targets in TRANSITIONS.items() if target in targets]


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobErrorInfo(BaseModel):
    code: str = Field(
        examples=[UnsupportedFormatError.code],
        description="Why the job failed: one of " + ", ".join(f"`{c}`" for c in job_failure_codes()) + ".",
    )
    message: str = Field(examples=[UnsupportedFormatError.example])


class ImageMetadata(BaseModel):
    format: str = Field(examples=["JPEG"], description="Format identified from the bytes.")
    mode: str = Field(examples=["RGB"], description="Pillow pixel mode of the source.")
    width: int = Field(examples=[4000], description="Stored width in pixels (before EXIF rotation).")
    height: int = Field(examples=[3000])
    bytes: int = Field(examples=[2481152], description="Size of the uploaded object.")
    exif_orientation: int | None = Field(None, examples=[6], description="EXIF Orientation tag (1-8), if any.")
    upright_width: int = Field(examples=[3000], description="Width as displayed, after EXIF rotation.")
    upright_height: int = Field(examples=[4000])
    frames: int = Field(
        1, examples=[1], description="Frames, pages or images in the file (animated WebP/GIF, multi-page TIFF, HEIF)."
    )
    frame_used: int = Field(
        0,
        examples=[0],
        description="Index of the frame processed when `frames` > 1: the first, or a HEIF file's primary image.",
    )
    sha256: str | None = Field(
        None,
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
        description="SHA-256 of the uploaded bytes, in hex: finds exact duplicates.",
    )
    phash: str | None = Field(
        None,
        examples=["3c7e7f3b1b0f0e1c"],
        description="64-bit perceptual hash (dHash of the upright image), 16 hex digits: near-identical pictures "
        "differ in few bits (Hamming distance), whatever their format, size or compression.",
    )
    placeholder: str | None = Field(
        None,
        examples=["LEHV6nWB2yk8pyo0adR*.7kCMdnj"],
        description="A tiny blurred preview of the upright image to show while it loads; decode it with any BlurHash "
        "library at the aspect ratio of `upright_width`/`upright_height`.",
    )
    placeholder_kind: Literal["blurhash"] | None = Field(
        None, examples=["blurhash"], description="The encoding of `placeholder`."
    )


class OutputFile(BaseModel):
    name: str = Field(examples=["thumb-512.jpg"])
    key: str = Field(examples=["processed/0b5c.../thumb-512.jpg"])
    content_type: str = Field(examples=["image/jpeg"])
    width: int
    height: int
    bytes: int
    crop_note: str | None = Field(
        None,
        description="Why a smart crop was placed otherwise than asked, e.g. `gravity` `faces` without a face found: "
        "cropped by `attention` instead.",
    )


class JobResult(BaseModel):
    metadata: ImageMetadata
    outputs: list[OutputFile]
    analysis: Analysis | None = Field(None, description="Text and labels, when analysis is enabled.")


class CallbackAttempt(BaseModel):
    """One try at delivering a job's webhook (worker/callbacks.py)."""

    at: datetime = Field(description="When the attempt was made.")
    attempt: int = Field(examples=[1], description="1 for the first try at delivering this outcome, then 2, 3...")
    event: str = Field(
        examples=["6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21:completed:1"],
        description="The outcome delivered, as sent in the `Imgpipe-Event-Id` header (the same for its retries).",
    )
    status: int | None = Field(None, examples=[200], description="The receiver's HTTP status; null if none came.")
    error: str | None = Field(None, description="Why the attempt did not count as delivered.")
    outcome: Literal["delivered", "retrying", "gave_up"] = Field(
        description="`delivered` (a 2xx), `retrying` (another attempt at `next_attempt_at`) or `gave_up` (410, or "
        "the retry schedule is used up)."
    )
    next_attempt_at: datetime | None = None


class Job(BaseModel):
    job_id: str
    status: JobStatus
    owner: str | None = Field(
        None,
        description="Id of the API key that created the job; only that key sees it. None: made before keys had ids.",
    )
    filename: str
    client_ref: str | None = Field(None, description="The client's own reference, set at creation (lookup).")
    content_type: str
    declared_size: int
    upload_key: str
    analysis_features: list[AnalysisFeature] = Field(
        default_factory=lambda: list(DEFAULT_FEATURES),
        description="The analysis the job asked for at creation (jobs made before it could ask: the default).",
    )
    created_at: datetime
    updated_at: datetime
    upload_expires_at: datetime
    upload_deadline: int | None = Field(
        None, description="upload_expires_at in epoch seconds, so that claim's condition can compare it."
    )
    expires_at: int = Field(description="Epoch seconds at which DynamoDB's TTL removes the job.")
    attempts: int = 0
    lease_until: int | None = Field(
        None,
        description="Epoch seconds until which a worker owns the job (pending: the end of its upload window; ended: "
        "of its publish reservation). Set while the job is in the index of live leases.",
    )
    source_etag: str | None = None
    notified: bool = Field(False, description="The outcome was published to SNS.")
    publish_until: int | None = Field(
        None, description="Epoch seconds until which the writer of the outcome owns its publish (then anyone may)."
    )
    error: JobErrorInfo | None = None
    error_code: str | None = Field(None, description="error.code, stored apart so conditions can test it.")
    result: JobResult | None = None
    callback_url: str | None = Field(None, description="Where the outcome is POSTed when the job ends.")
    callbacks: list[CallbackAttempt] = Field(
        default_factory=list, description="Webhook delivery attempts, oldest first."
    )
    preset: str | None = Field(None, description="The preset the job was created with; None: custom `outputs`.")
    recipe: list[Rendition] | None = Field(
        None,
        description="The outputs asked for at creation, rendered as they were even if presets change later. None: "
        "a job made before recipes, rendered with the `default` preset.",
    )

    def status_at(self, now: datetime) -> JobStatus:
        """The status a reader sees: abandoned uploads read as expired."""
        if self.status is JobStatus.UPLOAD_PENDING and now >= self.upload_expires_at:
            return JobStatus.EXPIRED
        return self.status


def new_job(
    *,
    job_id: str,
    owner: str,
    filename: str,
    content_type: str,
    declared_size: int,
    upload_key: str,
    upload_window: timedelta,
    retention: timedelta,
    now: datetime,
    callback_url: str | None = None,
    client_ref: str | None = None,
    analysis_features: Sequence[AnalysisFeature] = DEFAULT_FEATURES,
    recipe: list[Rendition] | None = None,
    preset: str | None = None,
) -> Job:
    """A job waiting for its upload. `expires_at` drives DynamoDB's TTL; the upload window drives `expired`."""
    # Whole seconds, so that the stored epoch deadline and the datetime agree on when the window closes.
    upload_expires_at = (now + upload_window).replace(microsecond=0)
    return Job(
        job_id=job_id,
        owner=owner,
        status=JobStatus.UPLOAD_PENDING,
        filename=filename,
        client_ref=client_ref,
        content_type=content_type,
        declared_size=declared_size,
        upload_key=upload_key,
        analysis_features=list(analysis_features),
        created_at=now,
        updated_at=now,
        upload_expires_at=upload_expires_at,
        upload_deadline=int(upload_expires_at.timestamp()),
        # In the index of live leases until its window ends, so the sweeper checks a job nobody claimed.
        lease_until=int(upload_expires_at.timestamp()),
        expires_at=int((now + retention).timestamp()),
        callback_url=callback_url,
        recipe=recipe,
        preset=preset,
    )
