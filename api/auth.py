"""The check of a request's API key against the key table (core/api_keys.py), and the middleware that runs it.

Each API task keeps the keys it read for `api_keys_cache_seconds` (unknown ids too, so a flood of made-up keys costs
one read per id and period): a revoked key is refused by every task within that time. The check runs in an ASGI
middleware, before FastAPI reads and parses the body, so an anonymous caller cannot make the API read or parse
anything; the key it found is handed to the routes in the request's state.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

import anyio
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import imgpipe_error_response
from core.api_keys import DEV_KEY_ID, ApiKey, ApiKeyStore, key_id_of, matches
from core.config import Settings
from core.deadline import is_unavailable
from core.errors import (
    ApiKeyRevokedError,
    DependencyUnavailableError,
    ImgpipeError,
    InvalidApiKeyError,
    MissingApiKeyError,
)

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
STATE_KEY = "api_key"
# After a failed re-read, the last good copy stays in use and the table is tried again this much later.
_STALE_RETRY_SECONDS = 10.0
# Bound on cached key ids (found or not), so that made-up ids cannot grow the cache without end.
_CACHE_SIZE = 10_000
# Table reads run in threads of their own, never in the route pool, and at most this many at once.
_READERS = 4


class ApiKeys:
    """The keys this task has read, by id, each until it is due for a re-read."""

    def __init__(self, settings: Settings, store: ApiKeyStore) -> None:
        self._store = store
        self._ttl = float(settings.api_keys_cache_seconds)
        self._dev_allowed = settings.environment == "local"
        self._cache: OrderedDict[str, tuple[ApiKey | None, float]] = OrderedDict()
        self._limiter: anyio.CapacityLimiter | None = None

    async def _lookup(self, key_id: str) -> ApiKey | None:
        cached = self._cache.get(key_id)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        if self._limiter is None:  # created on the event loop, at first use
            self._limiter = anyio.CapacityLimiter(_READERS)
        try:
            key = await anyio.to_thread.run_sync(self._store.get, key_id, limiter=self._limiter)
            fresh_until = time.monotonic() + self._ttl
        except Exception as exc:
            if cached is None:
                if is_unavailable(exc):
                    raise DependencyUnavailableError("The API keys cannot be read right now.") from exc
                raise
            # Better the last good copy than refusing every caller while DynamoDB is down.
            log.warning("re-reading API key %s failed (%s); keeping the last copy", key_id, type(exc).__name__)
            key, fresh_until = cached[0], time.monotonic() + min(self._ttl, _STALE_RETRY_SECONDS)
        self._cache[key_id] = (key, fresh_until)
        self._cache.move_to_end(key_id)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return key

    async def check(self, token: str | None) -> ApiKey:
        """The key this token belongs to, if it is valid and not revoked; an AuthError otherwise."""
        if not token:
            raise MissingApiKeyError()
        key_id = key_id_of(token)
        # Like the FastAPI template's `changethis` check: the published dev key never opens a real deployment.
        if key_id is None or (key_id == DEV_KEY_ID and not self._dev_allowed):
            raise InvalidApiKeyError()
        key = await self._lookup(key_id)
        if key is None or not matches(key, token):
            raise InvalidApiKeyError()
        if key.revoked_at is not None:
            raise ApiKeyRevokedError(f"This API key was revoked at {key.revoked_at.isoformat()}; ask for a new one.")
        return key


class RequireApiKey:
    """ASGI middleware: requests for a route under `prefix` without a valid key get 401 before their body is read.
    Requests no route takes (unknown path, wrong method) go on to their 404/405, which read no body either."""

    def __init__(self, app: ASGIApp, keys: ApiKeys, router: Router, prefix: str = "/v1/") -> None:
        self.app = app
        self.keys = keys
        self.router = router
        self.prefix = prefix

    def _guarded(self, scope: Scope) -> bool:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return False
        return any(route.matches(scope)[0] is Match.FULL for route in self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._guarded(scope):
            header = API_KEY_HEADER.lower().encode()
            raw = next((v for k, v in scope["headers"] if k == header), None)
            try:
                key = await self.keys.check(raw.decode("latin-1") if raw is not None else None)
            except ImgpipeError as exc:
                await imgpipe_error_response(exc)(scope, receive, send)
                return
            scope.setdefault("state", {})[STATE_KEY] = key
        await self.app(scope, receive, send)
