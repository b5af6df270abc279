"""FastAPI dependencies, each exported as an Annotated alias so a route's signature reads as its needs. They read
what create_app put on the app (its settings, not core.config.get_settings: tests build apps with their own).

They are `async def` because they do no I/O: FastAPI runs sync dependencies in the route thread pool, which a
stalled AWS dependency can fill.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.auth import API_KEY_HEADER, ApiKeys
from core.aws import AwsClients
from core.config import Settings
from core.idempotency import IdempotencyStore
from core.store import JobStore


async def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _clients(request: Request) -> AwsClients:
    return request.app.state.clients  # type: ignore[no-any-return]


async def _job_store(request: Request) -> JobStore:
    return request.app.state.job_store  # type: ignore[no-any-return]


async def _idempotency_store(request: Request) -> IdempotencyStore:
    return request.app.state.idempotency  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(_settings)]
ClientsDep = Annotated[AwsClients, Depends(_clients)]
JobStoreDep = Annotated[JobStore, Depends(_job_store)]
IdempotencyDep = Annotated[IdempotencyStore, Depends(_idempotency_store)]

_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, description="Your API key (the local stack prints its key at start)."
)


async def require_api_key(request: Request, key: Annotated[str | None, Security(_api_key_header)]) -> str:
    """The caller's key. api/auth.RequireApiKey already refused bad keys before the body was read; this declares
    the header in OpenAPI and hands the key to routes (the check is repeated: the keys are cached, it costs nothing)."""
    keys: ApiKeys = request.app.state.api_keys
    return await keys.check(key)


ApiKeyDep = Annotated[str, Depends(require_api_key)]
