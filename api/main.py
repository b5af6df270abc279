"""The API application: `create_app(settings)` builds it; uvicorn runs it with `--factory`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.auth import ApiKeys, RequireApiKey
from api.errors import install_error_handlers
from api.guards import BodyLimit, Deadline
from api.pages import install_pages, offered_dev_key
from api.readiness import ReadinessProbe
from api.routes import health, job_list, jobs, limits
from api.schemas import JOB_VIEW_EXAMPLES
from core.api_keys import ApiKeyStore
from core.aws import AwsClients
from core.config import Settings, get_settings
from core.idempotency import IdempotencyStore
from core.logs import configure_logging
from core.store import JobStore

DESCRIPTION = """
Upload an image, get thumbnails, metadata and its text back.

1. `POST /v1/jobs` with the file's name, content type and size: you get a `job_id` and a presigned upload.
2. POST the file to `upload.url` as multipart/form-data with every entry of `upload.fields`, then the file as `file`.
3. `GET /v1/jobs/{job_id}` until `status` is `completed` (results with download links) or `failed` (an error code).

**Try it here:** click **Authorize**, paste your API key{local_key}, then open `POST /v1/jobs`, **Try it out**,
**Execute**. Every route but the health checks needs the `X-API-Key` header.

Errors always look like `{"error": {"code": "...", "message": "...", "details": {...}}}`: `code` is stable
(branch on it), `message` tells a person what to do. Each route lists the codes it can answer with.

To upload a real file and see its results without writing code, open the [results page](/ui).
"""


def _local_key_hint(settings: Settings) -> str:
    key = offered_dev_key(settings)
    return f" (this local stack's is `{key}`)" if key else ""


def _show_this_deployments_engine(app: FastAPI, settings: Settings) -> None:
    """The job example in the docs carries the analysis this deployment's worker writes (same settings), not
    always Rekognition's."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()  # cached by FastAPI after the first call; setting the example again is idempotent
        spec["components"]["schemas"]["JobView"]["examples"] = [JOB_VIEW_EXAMPLES[settings.analysis_engine]]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, service="api")
    app = FastAPI(
        title="imgpipe",
        version="0.1.0",
        description=DESCRIPTION.replace("{local_key}", _local_key_hint(settings)),
        openapi_tags=[
            {"name": "jobs", "description": "Create image jobs and read their results."},
            {"name": "health", "description": "Liveness and readiness probes (no API key)."},
        ],
        # Served by api/pages.py from local assets: FastAPI's defaults load Swagger UI and ReDoc from a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    clients = AwsClients.for_api(settings)
    api_keys = ApiKeys(settings, ApiKeyStore(clients.dynamodb, settings.api_keys_table))
    app.state.settings = settings
    app.state.clients = clients
    app.state.api_keys = api_keys
    app.state.job_store = JobStore(clients.dynamodb, settings.jobs_table)
    app.state.idempotency = IdempotencyStore(clients.dynamodb, settings.jobs_table)
    app.state.readiness = ReadinessProbe(app.state.job_store, settings.readyz_cache_seconds)
    # Added last = outermost: the deadline covers everything, then the body limit, then the key check, all before
    # FastAPI reads the body.
    app.add_middleware(RequireApiKey, keys=api_keys, router=app.router)
    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(Deadline, seconds=settings.api_deadline_seconds)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(jobs.router)
    app.include_router(job_list.router)
    app.include_router(limits.router)
    install_pages(app)
    _show_this_deployments_engine(app, settings)
    return app
