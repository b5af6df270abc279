"""FastAPI dependencies, each exported as an Annotated alias so a route's signature reads as its needs."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.errors import INVALID_API_KEY, MISSING_API_KEY
from core.aws import AwsClients
from core.config import Settings
from core.errors import AuthError
from core.store import JobStore


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_clients(request: Request) -> AwsClients:
    return request.app.state.clients  # type: ignore[no-any-return]


def get_job_store(request: Request) -> JobStore:
    return request.app.state.job_store  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientsDep = Annotated[AwsClients, Depends(get_clients)]
JobStoreDep = Annotated[JobStore, Depends(get_job_store)]

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Your API key (the local stack prints its key at start)."
)


def require_api_key(settings: SettingsDep, key: Annotated[str | None, Security(_api_key_header)]) -> str:
    if not key:
        raise AuthError(MISSING_API_KEY.message, code=MISSING_API_KEY.code)
    # Compare against every key in constant time, without stopping at the first match.
    matched = False
    for candidate in settings.api_keys:
        matched |= hmac.compare_digest(key.encode(), candidate.get_secret_value().encode())
    if not matched:
        raise AuthError(INVALID_API_KEY.message, code=INVALID_API_KEY.code)
    return key


ApiKeyDep = Annotated[str, Depends(require_api_key)]
