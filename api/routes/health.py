from __future__ import annotations

from fastapi import APIRouter

from api.deps import JobStoreDep
from api.errors import error_response
from api.schemas import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up", response_model=HealthResponse)
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the job table is reachable",
    response_model=HealthResponse,
    responses={503: {"description": "DynamoDB cannot be reached (`not_ready`)."}},
)
def readyz(store: JobStoreDep) -> object:
    try:
        store.ping()
    except Exception as exc:  # any failure to reach the table means not ready
        return error_response(503, "not_ready", f"The job table cannot be reached: {type(exc).__name__}.")
    return HealthResponse(status="ready")
