"""API keys: where they come from (settings, or Secrets Manager re-read at run time) and the check of a request's key.

With `api_keys_secret_id` set, the keys are the secret's JSON list, cached `api_keys_cache_seconds`: rotating keys
is a `put-secret-value`, honoured within the cache time, no deploy. The check runs in an ASGI middleware, before
FastAPI reads and parses the body, so an anonymous caller cannot make the API read or parse anything.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time

import anyio
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import imgpipe_error_response
from core.aws import AwsClients
from core.config import Settings
from core.deadline import is_unavailable
from core.errors import DependencyUnavailableError, ImgpipeError, InvalidApiKeyError, MissingApiKeyError

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
# After a failed re-read, the last good keys stay in use and the secret is tried again this much later.
_STALE_RETRY_SECONDS = 10.0


class ApiKeys:
    """The accepted keys. Reads of the secret run one at a time in a thread of their own (never the route pool)."""

    def __init__(self, settings: Settings, clients: AwsClients) -> None:
        self._static = [k.get_secret_value() for k in settings.api_keys]
        self._secret_id = settings.api_keys_secret_id
        self._ttl = float(settings.api_keys_cache_seconds)
        self._clients = clients
        self._cached: list[str] | None = None
        self._fresh_until = 0.0
        self._lock: asyncio.Lock | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        if not self._secret_id and not self._static:
            raise ValueError("no API keys: set IMGPIPE_API_KEYS_SECRET_ID (or IMGPIPE_API_KEYS)")

    def _read_secret(self) -> list[str]:
        assert self._secret_id is not None
        value = self._clients.secretsmanager.get_secret_value(SecretId=self._secret_id)["SecretString"]
        keys = json.loads(value)
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
            raise ValueError(f"secret {self._secret_id} must hold a non-empty JSON list of strings")
        return keys

    async def current(self) -> list[str]:
        if not self._secret_id:
            return self._static
        if self._cached is not None and time.monotonic() < self._fresh_until:
            return self._cached
        if self._lock is None:  # created on the event loop, at first use
            self._lock, self._limiter = asyncio.Lock(), anyio.CapacityLimiter(1)
        async with self._lock:
            if self._cached is not None and time.monotonic() < self._fresh_until:
                return self._cached  # another request refreshed it while this one waited
            try:
                self._cached = await anyio.to_thread.run_sync(self._read_secret, limiter=self._limiter)
                self._fresh_until = time.monotonic() + self._ttl
            except Exception as exc:
                if self._cached is None:
                    if is_unavailable(exc):
                        raise DependencyUnavailableError("The API keys cannot be read right now.") from exc
                    raise
                # Better the last good keys than refusing every caller while Secrets Manager is down.
                log.warning("re-reading API keys failed (%s); keeping the last ones", type(exc).__name__)
                self._fresh_until = time.monotonic() + min(self._ttl, _STALE_RETRY_SECONDS)
            return self._cached

    async def check(self, key: str | None) -> str:
        """The key, if it is one of the accepted keys; MissingApiKeyError or InvalidApiKeyError otherwise."""
        if not key:
            raise MissingApiKeyError()
        # Compare against every key in constant time, without stopping at the first match.
        matched = False
        for candidate in await self.current():
            matched |= hmac.compare_digest(key.encode(), candidate.encode())
        if not matched:
            raise InvalidApiKeyError()
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
                await self.keys.check(raw.decode("latin-1") if raw is not None else None)
            except ImgpipeError as exc:
                await imgpipe_error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)
