"""/v1/limits: what POST /v1/jobs accepts, so clients can refuse a file before they create its job."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ApiKeyDep, SettingsDep
from api.errors import AUTH_ERRORS, responses
from api.schemas import UploadLimits
from core.errors import DependencyUnavailableError, InternalError

router = APIRouter(prefix="/v1/limits", tags=["jobs"])


@router.get(
    "",
    summary="Get the upload limits and the presets",
    description="The largest file and the content types `POST /v1/jobs` accepts, the presets it offers and the "
    "limits on custom `outputs`. Also a cheap way to check an "
    "API key: `imgpipe submit` calls it before it uploads anything.",
    response_description="The limits this deployment enforces.",
    responses=responses(*AUTH_ERRORS, InternalError, DependencyUnavailableError),
)
def get_limits(_: ApiKeyDep, settings: SettingsDep) -> UploadLimits:
    return UploadLimits(
        max_upload_bytes=settings.max_upload_bytes,
        accepted_content_types=sorted(settings.accepted_content_types),
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
        presets=settings.recipes,
        max_outputs_per_job=settings.max_outputs_per_job,
        max_output_pixels_per_job=settings.max_output_pixels_per_job,
    )
