"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.jobs import JobStatus
from core.views import EXAMPLE_JOB_ID

# The job view lives in core, so that the CLI reads the API's answers with it; re-exported for the routes.
from core.views import AnalysisView as AnalysisView
from core.views import JobView as JobView
from core.views import OutputView as OutputView
from core.views import ResultView as ResultView

CREATE_JOB_EXAMPLE: dict[str, Any] = {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}

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


class CreateJobRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [CREATE_JOB_EXAMPLE]},
    )

    filename: str = Field(
        min_length=1,
        max_length=255,
        description="Original file name; kept as a label only, never used in keys.",
    )
    content_type: str = Field(description="MIME type of the file: `image/png` or `image/jpeg` by default.")
    size_bytes: int = Field(gt=0, description="Exact size of the file in bytes.")


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


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"] = Field(examples=["ok"])
