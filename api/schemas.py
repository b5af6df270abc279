"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.jobs import ImageMetadata, JobErrorInfo, JobStatus, OutputFile


class CreateJobRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}]
        },
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
    job_id: str = Field(examples=["6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21"])
    status: JobStatus = Field(examples=[JobStatus.UPLOAD_PENDING])
    upload: UploadInstructions


class OutputView(OutputFile):
    url: str = Field(description="Presigned download link.")


class ResultView(BaseModel):
    metadata: ImageMetadata
    outputs: list[OutputView]
    analysis: dict[str, Any] | None = None


class JobView(BaseModel):
    job_id: str
    status: JobStatus
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime
    updated_at: datetime
    upload_expires_at: datetime
    attempts: int = Field(description="How many times a worker started the job.")
    error: JobErrorInfo | None = Field(None, description="Why the job failed (status `failed` or `expired`).")
    result: ResultView | None = Field(None, description="Present when status is `completed`.")


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"]
