"""Request and response bodies of the public API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The answers about jobs live in core, so that the CLI reads them with the same models; re-exported for the routes.
from core.analysis import DEFAULT_FEATURES, Analysis, AnalysisFeature
from core.listing import CLIENT_REF_MAX
from core.views import JOB_VIEW_EXAMPLE
from core.views import AnalysisView as AnalysisView
from core.views import CreateJobResponse as CreateJobResponse
from core.views import JobList as JobList
from core.views import JobView as JobView
from core.views import OutputView as OutputView
from core.views import ResultView as ResultView
from core.views import UploadInstructions as UploadInstructions
from core.views import UploadLimits as UploadLimits

CREATE_JOB_EXAMPLE: dict[str, Any] = {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}


# The same job as each engine reports it, so the docs show what this deployment's worker writes (api/main.py
# picks one by `analysis_engine`): the local engine reads text only and computes properties from the pixels.
JOB_VIEW_EXAMPLES: dict[str, dict[str, Any]] = {
    "rekognition": JOB_VIEW_EXAMPLE,
    "local": {
        **JOB_VIEW_EXAMPLE,
        "result": {
            **JOB_VIEW_EXAMPLE["result"],
            "analysis": {
                **JOB_VIEW_EXAMPLE["result"]["analysis"],
                "engine": "local",
                "labels": [],
                "labels_note": "The local engine has no label classifier; labels come only from the rekognition "
                "engine.",
                "properties": {
                    **JOB_VIEW_EXAMPLE["result"]["analysis"]["properties"],
                    "dominant_colors": [
                        {
                            "red": 250,
                            "green": 250,
                            "blue": 245,
                            "hex": "#fafaf5",
                            "simplified_color": "white",
                            "css_color": None,
                            "pixel_percent": 58.1,
                        }
                    ],
                    "source": "pixels",
                },
                "model_version": "rapidocr 3.10.0, PP-OCRv6 tiny detection, tiny recognition",
                "image_sent": None,
                "duration_ms": 96.0,
            },
        },
    },
    "off": {
        **JOB_VIEW_EXAMPLE,
        "result": {
            **JOB_VIEW_EXAMPLE["result"],
            "analysis": Analysis(engine="off", skipped_reason="analysis_engine is off").model_dump(mode="json"),
        },
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
    callback_url: str | None = Field(
        None,
        max_length=2048,
        examples=["https://example.com/hooks/imgpipe"],
        description="Where to POST the job (the body of `GET /v1/jobs/{id}`) when it ends, signed with your key's "
        "signing secret (header `Imgpipe-Signature`). https only in AWS; hosts that resolve to private, loopback, "
        "link-local or metadata addresses are refused.",
    )
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

    analysis: list[AnalysisFeature] = Field(
        default_factory=lambda: list(DEFAULT_FEATURES),
        max_length=len(AnalysisFeature),
        description="What the analysis looks for: any of `text`, `labels`, `moderation` (unsafe content) and "
        "`faces`, each at most once; `[]` for no analysis. Default: `text` and `labels`. A feature the deployment's "
        "engine cannot provide is reported as not available, never guessed.",
        examples=[["text", "labels", "moderation", "faces"]],
    )

    @field_validator("analysis")
    @classmethod
    def _each_once(cls, features: list[AnalysisFeature]) -> list[AnalysisFeature]:
        repeated = sorted({f.value for f in features if features.count(f) > 1})
        if repeated:
            raise ValueError(f"each analysis feature at most once; repeated: {', '.join(repeated)}")
        return features

    def identity(self) -> dict[str, Any]:
        """The request as its idempotency fingerprint sees it: defaults left out, so that a body spelling out a
        default is the same request as one leaving it out, and fingerprints stored before a field existed still
        match."""
        return self.model_dump(mode="json", exclude_defaults=True)


def printable_ref(value: str | None) -> str | None:
    """A client_ref must be printable: no control characters, line breaks or tabs (it is shown in tables and logs)."""
    if value is not None and not value.isprintable():
        raise ValueError("must hold printable characters only (no control characters, tabs or line breaks)")
    return value


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"] = Field(examples=["ok"])
