"""Request and response bodies of the public API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.listing import CLIENT_REF_MAX

# The answers about jobs live in core, so that the CLI reads them with the same models; re-exported for the routes.
from core.views import AnalysisView as AnalysisView
from core.views import CreateJobResponse as CreateJobResponse
from core.views import JobList as JobList
from core.views import JobView as JobView
from core.views import OutputView as OutputView
from core.views import ResultView as ResultView
from core.views import UploadInstructions as UploadInstructions
from core.views import UploadLimits as UploadLimits

CREATE_JOB_EXAMPLE: dict[str, Any] = {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}


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
    client_ref: str | None = Field(
        None,
        min_length=1,
        max_length=CLIENT_REF_MAX,
        examples=["order-1234/holiday.jpg"],
        description=f"Your own reference for the job (your file name or id, up to {CLIENT_REF_MAX} printable "
        "characters): shown with the job, and `GET /v1/jobs?client_ref=` finds the jobs that carry it. Need not be "
        "unique.",
    )

    @field_validator("client_ref")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return printable_ref(value)


def printable_ref(value: str | None) -> str | None:
    """A client_ref must be printable: no control characters, line breaks or tabs (it is shown in tables and logs)."""
    if value is not None and not value.isprintable():
        raise ValueError("must hold printable characters only (no control characters, tabs or line breaks)")
    return value


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"] = Field(examples=["ok"])
