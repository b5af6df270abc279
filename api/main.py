"""The API application: `create_app(settings)` builds it; uvicorn runs it with `--factory`."""

from __future__ import annotations

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import health, jobs
from core.aws import AwsClients
from core.config import Settings, get_settings
from core.logs import configure_logging
from core.store import JobStore

DESCRIPTION = """
Upload an image, get thumbnails, metadata and its text back.

1. `POST /v1/jobs` with the file's name, content type and size: you get a `job_id` and a presigned upload.
2. POST the file to `upload.url` as multipart/form-data with every entry of `upload.fields`, then the file as `file`.
3. `GET /v1/jobs/{job_id}` until `status` is `completed` (results with download links) or `failed` (an error code).

Every route but the health checks needs the `X-API-Key` header: use **Authorize** above.
Errors always look like `{"error": {"code": "...", "message": "...", "details": {...}}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, service="api")
    app = FastAPI(
        title="imgpipe",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "jobs", "description": "Create image jobs and read their results."},
            {"name": "health", "description": "Liveness and readiness probes (no API key)."},
        ],
    )
    clients = AwsClients(settings)
    app.state.settings = settings
    app.state.clients = clients
    app.state.job_store = JobStore(clients.dynamodb, settings.jobs_table)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(jobs.router)
    return app
