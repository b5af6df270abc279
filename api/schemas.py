"""Request and response bodies of the public API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

# The answers about jobs live in core, so that the CLI reads them with the same models; re-exported for the routes.
from core.analysis import DEFAULT_FEATURES, Analysis, AnalysisFeature
from core.listing import CLIENT_REF_MAX, CLIENT_REF_PATTERN
from core.recipes import Rendition
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
                "model_version": "rapidocr 3.10.0, PP-OCRv6 small detection, small recognition, latin scripts",
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


def _json_integer(value: object) -> object:
    """Refuse what pydantic's lax int would convert but JSON Schema's `integer` excludes: booleans and strings.
    Numbers go on to int, which takes 5.0 (an integer in JSON Schema) and refuses 5.5."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer, not a boolean or a string")
    return value


class CreateJobRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [CREATE_JOB_EXAMPLE],
            # `preset` or `outputs`, not both (api/recipes.py), in the document too.
            "not": {
                "required": ["preset", "outputs"],
                "properties": {"preset": {"type": "string"}, "outputs": {"type": "array"}},
            },
        },
    )

    filename: str = Field(
        min_length=1,
        max_length=255,
        description="Original file name; kept as a label only, never used in keys.",
    )
    # The accepted values and the maximum are this deployment's settings: api/openapi.py writes them into the
    # document (`enum`, `maximum`); other values get 415 and 413, with the accepted values in the error's details.
    content_type: str = Field(
        description="MIME type of the file, exactly as listed (lower case, no parameters): one of the types "
        "`GET /v1/limits` lists. Others get `415 unsupported_content_type`."
    )
    size_bytes: Annotated[int, BeforeValidator(_json_integer)] = Field(
        gt=0,
        description="Exact size of the file in bytes: a JSON integer (`2481152`; `2481152.0` is the same number in "
        'JSON). `true`, `"2481152"` and `2481152.5` get `422`, over the maximum (`max_upload_bytes`) gets '
        "`413 file_too_large`.",
    )
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
        pattern=CLIENT_REF_PATTERN,
        examples=["order-1234/holiday.jpg"],
        description=f"Your own reference for the job (your file name or id, up to {CLIENT_REF_MAX} characters, no "
        "control characters such as tabs or line breaks): shown with the job, and `GET /v1/jobs?client_ref=` finds "
        "the jobs that carry it. Need not be unique.",
    )

    analysis: list[AnalysisFeature] = Field(
        default_factory=lambda: list(DEFAULT_FEATURES),
        max_length=len(AnalysisFeature),
        description="What the analysis looks for: any of `text`, `labels`, `moderation` (unsafe content) and "
        "`faces`, each at most once; `[]` for no analysis. Default: `text` and `labels`. A feature the deployment's "
        "engine cannot provide is reported as not available, never guessed.",
        examples=[["text", "labels", "moderation", "faces"]],
        json_schema_extra={"uniqueItems": True},
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

    preset: str | None = Field(
        None,
        description="A named recipe of this deployment (`GET /v1/limits` lists them); `default`, today's "
        "thumbnails and processed WebP, when neither `preset` nor `outputs` is given.",
        examples=["avatar"],
    )
    outputs: list[Rendition] | None = Field(
        None,
        description="A custom recipe instead of a preset: the files to make, each with its name, box, fit and "
        "format. Limits (count, total pixels) are in `GET /v1/limits`.",
    )


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"] = Field(examples=["ok"])
