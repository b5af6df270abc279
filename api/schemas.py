"""Request and response bodies of the public API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# The answers about jobs live in core, so that the CLI reads them with the same models; re-exported for the routes.
from core.views import AnalysisView as AnalysisView
from core.views import CreateJobResponse as CreateJobResponse
from core.views import JobView as JobView
from core.views import OutputView as OutputView
from core.views import ResultView as ResultView
from core.views import UploadInstructions as UploadInstructions
from core.views import UploadLimits as UploadLimits

CREATE_JOB_EXAMPLE: dict[str, Any] = {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}


def _json_integer(value: object) -> object:
    """Refuse what pydantic's lax int would convert but JSON Schema's `integer` excludes: booleans and strings.
    Numbers go on to int, which takes 5.0 (an integer in JSON Schema) and refuses 5.5."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer, not a boolean or a string")
    return value


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
    # The accepted values and the maximum are this deployment's settings: api/openapi.py writes them into the
    # document (`enum`, `maximum`); other values get 415 and 413, with the accepted values in the error's details.
    content_type: str = Field(
        description="MIME type of the file, exactly as listed (lower case, no parameters): `image/jpeg` or "
        "`image/png` by default. Others get `415 unsupported_content_type`."
    )
    size_bytes: Annotated[int, BeforeValidator(_json_integer)] = Field(
        gt=0,
        description="Exact size of the file in bytes: a JSON integer (`2481152`; `2481152.0` is the same number in "
        'JSON). `true`, `"2481152"` and `2481152.5` get `422`, over the maximum (`max_upload_bytes`) gets '
        "`413 file_too_large`.",
    )


class HealthResponse(BaseModel):
    status: Literal["ok", "ready"] = Field(examples=["ok"])
