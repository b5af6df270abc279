"""The public API's answers about jobs: a created job with its upload, the upload limits, and the job as
`GET /v1/jobs/{id}` shows it. The API answers with these models and the CLI reads its answers back with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.analysis import Analysis, TextWord
from core.jobs import CallbackAttempt, ImageMetadata, JobErrorInfo, JobStatus, OutputFile

EXAMPLE_JOB_ID = "6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21"
_OUT = f"processed/{EXAMPLE_JOB_ID}"
_LINK = "https://imgpipe-outputs.s3.amazonaws.com/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=..."


CREATE_JOB_RESPONSE_EXAMPLE: dict[str, Any] = {
    "job_id": EXAMPLE_JOB_ID,
    "status": "upload_pending",
    "upload": {
        "method": "POST",
        "url": "https://imgpipe-uploads.s3.amazonaws.com/",
        "fields": {
            "Content-Type": "image/jpeg",
            "key": f"uploads/{EXAMPLE_JOB_ID}/source",
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": "AKIA.../20260101/us-east-1/s3/aws4_request",
            "x-amz-date": "20260101T120000Z",
            "policy": "eyJleHBpcmF0aW9uIjog...",
            "x-amz-signature": "3f1d...",
        },
        "expires_at": "2026-01-01T12:15:00Z",
    },
}


def _output_example(name: str, content_type: str, width: int, height: int, size: int) -> dict[str, Any]:
    key = f"{_OUT}/{name}"
    return {
        "name": name,
        "key": key,
        "content_type": content_type,
        "width": width,
        "height": height,
        "bytes": size,
        "url": _LINK.format(key=key),
    }


JOB_VIEW_EXAMPLE: dict[str, Any] = {
    "job_id": EXAMPLE_JOB_ID,
    "status": "completed",
    "filename": "holiday.jpg",
    "client_ref": "order-1234/holiday.jpg",
    "content_type": "image/jpeg",
    "size_bytes": 2481152,
    "created_at": "2026-01-01T12:00:00Z",
    "updated_at": "2026-01-01T12:00:03Z",
    "upload_expires_at": "2026-01-01T12:15:00Z",
    "attempts": 1,
    "error": None,
    "callback_url": "https://example.com/hooks/imgpipe",
    "callbacks": [
        {
            "at": "2026-01-01T12:00:03Z",
            "attempt": 1,
            "event": f"{EXAMPLE_JOB_ID}:completed:1",
            "status": 200,
            "error": None,
            "outcome": "delivered",
            "next_attempt_at": None,
        }
    ],
    "result": {
        "metadata": {
            "format": "JPEG",
            "mode": "RGB",
            "width": 4000,
            "height": 3000,
            "bytes": 2481152,
            "exif_orientation": 1,
            "upright_width": 4000,
            "upright_height": 3000,
        },
        "outputs": [
            _output_example("thumb-1024.jpg", "image/jpeg", 1024, 768, 151234),
            _output_example("thumb-512.jpg", "image/jpeg", 512, 384, 41020),
            _output_example("thumb-128.jpg", "image/jpeg", 128, 96, 4711),
            _output_example("processed.webp", "image/webp", 1024, 768, 88410),
        ],
        "analysis": {
            "engine": "rekognition",
            "features": ["text", "labels"],
            "skipped_reason": None,
            "full_text": "OPEN 24 HOURS",
            "lines": [
                {
                    "text": "OPEN 24 HOURS",
                    "confidence": 98.4,
                    "box": {"left": 0.21, "top": 0.4, "width": 0.52, "height": 0.08},
                }
            ],
            "words": [
                {
                    "text": "OPEN",
                    "confidence": 99.1,
                    "box": {"left": 0.21, "top": 0.4, "width": 0.14, "height": 0.08},
                    "line": 0,
                },
                {
                    "text": "24",
                    "confidence": 98.0,
                    "box": {"left": 0.37, "top": 0.4, "width": 0.07, "height": 0.08},
                    "line": 0,
                },
                {
                    "text": "HOURS",
                    "confidence": 98.2,
                    "box": {"left": 0.46, "top": 0.4, "width": 0.27, "height": 0.08},
                    "line": 0,
                },
            ],
            "labels": [
                {
                    "name": "Signboard",
                    "confidence": 97.2,
                    "parents": ["Symbol"],
                    "aliases": ["Sign"],
                    "categories": ["Text and Documents"],
                    "instances": [],
                }
            ],
            "labels_note": None,
            "properties": {
                "quality": {"brightness": 61.3, "sharpness": 88.0, "contrast": 72.5},
                "dominant_colors": [
                    {
                        "red": 250,
                        "green": 250,
                        "blue": 245,
                        "hex": "#fafaf5",
                        "simplified_color": "white",
                        "css_color": "white",
                        "pixel_percent": 58.1,
                    }
                ],
                "foreground": None,
                "background": None,
                "source": "rekognition",
            },
            "model_version": "text 3.0, labels 3.0",
            "moderation": None,
            "faces": None,
            "image_sent": "s3_object",
            "omitted": None,
            "duration_ms": 412.0,
        },
    },
}


class OutputView(OutputFile):
    url: str = Field(description="Presigned download link.")


class AnalysisView(Analysis):
    """Text and labels found in the image. Boxes are `left`, `top`, `width`, `height` as ratios (0-1) of the
    upright image's width and height, as Rekognition's `Geometry.BoundingBox`; confidences are 0-100."""

    words: list[TextWord] | None = Field(  # type: ignore[assignment]
        None,
        description="Every word with its box and the index of its line; `null` when the request asked for "
        "`words=false` (an empty list means no words were found).",
    )


class ResultView(BaseModel):
    metadata: ImageMetadata
    outputs: list[OutputView] = Field(description="Thumbnails and the processed WebP, each with a download link.")
    analysis: AnalysisView | None = Field(
        None,
        description="Text (`full_text`, `lines`, `words`), labels and image properties, and the `engine` that "
        "found them; `skipped_reason` says why an image was not analysed. Absent for jobs processed while "
        "analysis did not exist.",
    )


class JobView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOB_VIEW_EXAMPLE]})

    job_id: str
    status: JobStatus = Field(
        description="`upload_pending` (waiting for the file), `processing`, then `completed` or `failed`; "
        "`expired` when no file arrived before the upload link expired."
    )
    filename: str = Field(description="The name sent when the job was created (a label only).")
    client_ref: str | None = Field(
        None, description="Your own reference, as sent when the job was created; `GET /v1/jobs?client_ref=` finds it."
    )
    content_type: str
    size_bytes: int = Field(description="The size declared when the job was created.")
    created_at: datetime
    updated_at: datetime
    upload_expires_at: datetime = Field(description="The presigned upload stops working at this time.")
    attempts: int = Field(description="How many times a worker started the job.")
    error: JobErrorInfo | None = Field(None, description="Why the job failed (status `failed` or `expired`).")
    result: ResultView | None = Field(None, description="Present when status is `completed`.")
    callback_url: str | None = Field(None, description="Where the outcome is POSTed when the job ends (webhooks).")
    callbacks: list[CallbackAttempt] = Field(
        default_factory=list, description="Each attempt at delivering the webhook so far, oldest first."
    )


class JobList(BaseModel):
    """A page of the caller's jobs, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"jobs": [JOB_VIEW_EXAMPLE], "next_cursor": "eyJjcmVhdGVkX2tleSI6IjIwMjYtMDEtMDFUMTI6MDA6MDA..."}
            ]
        }
    )

    jobs: list[JobView] = Field(
        description="Each job as `GET /v1/jobs/{job_id}?words=false` shows it (`result.analysis.words` is `null`)."
    )
    next_cursor: str | None = Field(
        description="Pass it as `cursor` to get the next page; `null` when there is no more. Opaque: send it back as "
        "it is, with the same `client_ref`; it only works for your key."
    )


class UploadInstructions(BaseModel):
    method: Literal["POST"] = "POST"
    url: str = Field(description="POST a multipart/form-data body here.")
    fields: dict[str, str] = Field(
        description="Send every field as a form field, in this order, followed by the file as the last field `file`."
    )
    expires_at: datetime = Field(description="The upload is refused after this time.")


class CreateJobResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CREATE_JOB_RESPONSE_EXAMPLE]})

    job_id: str = Field(examples=[EXAMPLE_JOB_ID], description="Use it with `GET /v1/jobs/{job_id}`.")
    status: JobStatus = Field(examples=[JobStatus.UPLOAD_PENDING])
    upload: UploadInstructions


class UploadLimits(BaseModel):
    """What `POST /v1/jobs` accepts: check a file against these before creating its job."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "max_upload_bytes": 20 * 1024 * 1024,
                    "accepted_content_types": ["image/jpeg", "image/png"],
                    "upload_url_ttl_seconds": 900,
                }
            ]
        }
    )

    max_upload_bytes: int = Field(description="Largest file accepted, in bytes.")
    accepted_content_types: list[str] = Field(description="Values accepted as `content_type`.")
    upload_url_ttl_seconds: int = Field(description="How long a presigned upload stays valid after the job is created.")
