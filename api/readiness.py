"""The readiness check behind /readyz: bounded, shared by concurrent probes and briefly cached.

Load balancers and people probe often and all at once; during a DynamoDB stall, one thread per probe would empty the
route thread pool. Here at most one check runs at a time, in a thread of its own, bounded by the request deadline,
and its answer is reused for `readyz_cache_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import anyio

from core.store import JobStore


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str = ""


class ReadinessProbe:
    def __init__(self, store: JobStore, cache_seconds: float) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._last: Readiness | None = None
        self._fresh_until = 0.0
        self._checks = 0  # completed checks: a probe that waited on one uses its answer, even uncached
        self._lock: asyncio.Lock | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    def _fresh(self) -> Readiness | None:
        return self._last if self._last is not None and time.monotonic() < self._fresh_until else None

    async def check(self) -> Readiness:
        if (fresh := self._fresh()) is not None:
            return fresh
        if self._lock is None:  # created on the event loop, at first use
            self._lock, self._limiter = asyncio.Lock(), anyio.CapacityLimiter(1)
        seen = self._checks
        async with self._lock:
            if self._checks != seen and self._last is not None:
                return self._last  # the check this probe waited on answered it
            try:
                await anyio.to_thread.run_sync(self._store.ping, limiter=self._limiter)
                self._last = Readiness(True)
            except Exception as exc:  # any failure to reach the table means not ready
                self._last = Readiness(False, type(exc).__name__)
            self._fresh_until = time.monotonic() + self._cache_seconds
            self._checks += 1
            return self._last
