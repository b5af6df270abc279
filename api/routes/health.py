"""Health probes. Both are `async def`: they run on the event loop, never queue behind routes in the thread pool."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.errors import imgpipe_error_response, responses
from api.readiness import ReadinessProbe
from api.schemas import HealthResponse
from core.errors import InternalError, NotReadyError

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Liveness: the process is up",
    description="Answers without touching any dependency or the route thread pool. No API key.",
    response_model=HealthResponse,
    response_description='The process is up and serving requests: `{"status": "ok"}`.',
    responses=responses(InternalError),
)
async def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the job table is reachable",
    description="Reads the job table's description, within the request deadline; `503 not_ready` when it cannot. "
    "Concurrent probes share one check and its answer is reused for `readyz_cache_seconds`. No API key.",
    response_model=HealthResponse,
    response_description='The job table answered: this instance can take jobs, `{"status": "ready"}`.',
    responses={
        200: {"content": {"application/json": {"example": {"status": "ready"}}}},
        **responses(NotReadyError, InternalError),
    },
)
async def readyz(request: Request) -> object:
    probe: ReadinessProbe = request.app.state.readiness
    readiness = await probe.check()
    if not readiness.ready:
        # A 503 like every TransientError: imgpipe_error_response adds the Retry-After header.
        return imgpipe_error_response(
            NotReadyError(
                f"The job table cannot be reached: {readiness.reason}. Check IMGPIPE_AWS_ENDPOINT_URL, the "
                "credentials and that the table exists; the probe tries again on its next call."
            )
        )
    return HealthResponse(status="ready")
