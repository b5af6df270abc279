"""Per-key rate limits (core/rate_limits.py) as an ASGI middleware, and the RateLimit headers it answers with.

It runs right after the key check (api/auth.py) and before FastAPI reads the body, so a key over its limit costs the
API no body parsing. Each task remembers a window it saw full until that window ends: a flood past the limit costs
one DynamoDB write per task and minute, not one per request.

If the count cannot be read or written (DynamoDB down, throttled, misconfigured), the request goes through unlimited
(fail open), with a log line and a `RateLimitUnchecked` metric, and the task stops asking for a few seconds. The
limit protects the service from a client; it must not turn a problem of its own table into an outage for every
client. A DynamoDB outage fails the request's own job read or write anyway, and the WAF's per-IP rule still holds.
"""

from __future__ import annotations

import logging
import time

import anyio
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import STATE_KEY
from api.errors import imgpipe_error_response
from core.api_keys import ApiKey
from core.errors import RateLimitedError
from core.metrics import emit_count
from core.rate_limits import Decision, RateLimitStore, refused

log = logging.getLogger(__name__)

UNCHECKED_METRIC = "RateLimitUnchecked"
# After a failed count, requests go unchecked this long before the table is tried again.
_UNCHECKED_SECONDS = 5.0
# Count writes run in threads of their own (not the route pool), at most this many at once.
_WRITERS = 16


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): the limit of the window, what is
    left of it and the seconds until it resets."""
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }


class RateLimits:
    """This task's view of the shared counts: the table, plus the windows it saw full."""

    def __init__(self, store: RateLimitStore) -> None:
        self._store = store
        self._full: dict[str, float] = {}  # key id -> end (epoch s) of a window seen full
        self._unchecked_until = 0.0
        self._threads: anyio.CapacityLimiter | None = None

    async def check(self, key: ApiKey) -> Decision | None:
        """Count this request of `key`: the decision, or None when the count could not be made (fail open)."""
        now = time.time()
        if self._full.get(key.key_id, 0.0) > now:
            return refused(key.rate_per_minute, now)
        if time.monotonic() < self._unchecked_until:
            return None
        if self._threads is None:  # created on the event loop, at first use
            self._threads = anyio.CapacityLimiter(_WRITERS)
        try:
            decision = await anyio.to_thread.run_sync(
                self._store.hit, key.key_id, key.rate_per_minute, now, limiter=self._threads
            )
        except Exception as exc:
            self._unchecked_until = time.monotonic() + _UNCHECKED_SECONDS
            log.warning(
                "rate limit not checked (%s: %s); requests go unlimited for %.0f s",
                type(exc).__name__,
                exc,
                _UNCHECKED_SECONDS,
            )
            emit_count(UNCHECKED_METRIC)
            return None
        if not decision.allowed:
            if len(self._full) > 10_000:  # only ids of real keys get here; drop the windows that are over
                self._full = {k: end for k, end in self._full.items() if end > now}
            self._full[key.key_id] = decision.window_end
        return decision


class RateLimit:
    """ASGI middleware: requests that carry a checked key (api/auth.RequireApiKey) are counted against its limit;
    over it they get `429 rate_limited` with `Retry-After`. Counted responses carry the RateLimit headers."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get("state", {}).get(STATE_KEY) if scope["type"] == "http" else None
        decision = await self.limits.check(key) if isinstance(key, ApiKey) else None
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = rate_limit_headers(decision)
        if not decision.allowed:
            error = RateLimitedError(
                f"This API key may make {decision.limit} requests per minute and made them all; retry in "
                f"{decision.reset_seconds} seconds.",
                details={"limit": decision.limit, "retry_after_seconds": decision.reset_seconds},
            )
            response = imgpipe_error_response(error)
            response.headers.update(headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
