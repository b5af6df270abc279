from __future__ import annotations

from fastapi import APIRouter

from api.deps import JobStoreDep
from api.errors import INTERNAL_ERROR, DocumentedError, error_response, responses
from api.schemas import HealthResponse

router = APIRouter(tags=["health"])

NOT_READY = DocumentedError(
    503,
    "not_ready",
    "DynamoDB cannot be reached",
    "The job table cannot be reached: EndpointConnectionError. Check IMGPIPE_AWS_ENDPOINT_URL, the credentials "
    "and that the table exists; the probe tries again on its next call.",
)


@router.get(
    "/healthz",
    summary="Liveness: the process is up",
    description="Answers without touching any dependency. No API key.",
    response_model=HealthResponse,
    responses=responses(INTERNAL_ERROR),
)
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the job table is reachable",
    description="Reads the job table's description; `503 not_ready` when it cannot. No API key.",
    response_model=HealthResponse,
    responses=responses(NOT_READY, INTERNAL_ERROR),
)
def readyz(store: JobStoreDep) -> object:
    try:
        store.ping()
    except Exception as exc:  # any failure to reach the table means not ready
        return error_response(
            503,
            NOT_READY.code,
            f"The job table cannot be reached: {type(exc).__name__}. Check IMGPIPE_AWS_ENDPOINT_URL, the "
            "credentials and that the table exists; the probe tries again on its next call.",
        )
    return HealthResponse(status="ready")
