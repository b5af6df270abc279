"""FastAPI dependencies, each exported as an Annotated alias so a route's signature reads as its needs. They read
what create_app put on the app (its settings, not core.config.get_settings: tests build apps with their own).

They are `async def` because they do no I/O: FastAPI runs sync dependencies in the route thread pool, which a
stalled AWS dependency can fill.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.auth import API_KEY_HEADER, STATE_KEY
from core.api_keys import ApiKey
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


async def current_key(request: Request, _: Annotated[str | None, Security(_api_key_header)]) -> ApiKey:
    """The caller's key, as api/auth.RequireApiKey found it before the body was read (the header parameter only
    declares it in OpenAPI)."""
    key: ApiKey = getattr(request.state, STATE_KEY)
    return key


ApiKeyDep = Annotated[ApiKey, Depends(current_key)]
