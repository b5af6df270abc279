"""ECS task scale-in protection: a worker holding jobs asks the ECS agent not to be chosen for scale-in.

Autoscaling on queue backlog scales in as the queue drains, often while tasks are mid-job; a protected task is
skipped. Protection expires by itself (so a crashed worker cannot pin capacity) and is renewed while busy.

The agent calls ecs:UpdateTaskProtection with the task role's credentials, so a refusal usually means the role
lacks that permission: every refused or failed call is logged at ERROR and counted (EMF metric
`TaskProtectionFailures`), so that an alarm catches a fleet running unprotected.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from core.metrics import emit_count

log = logging.getLogger(__name__)

PROTECTION_FAILURES_METRIC = "TaskProtectionFailures"


class ScaleInProtection:
    def __init__(self, agent_uri: str | None, *, expires_minutes: int, client: httpx.Client | None = None) -> None:
        """`client`: the HTTP client that calls the agent (tests pass one with a mock transport)."""
        # ECS injects ECS_AGENT_URI into every task's containers; elsewhere there is nothing to protect.
        self._url = f"{agent_uri.rstrip('/')}/task-protection/v1/state" if agent_uri else None
        self._expires_minutes = expires_minutes
        self._http = client  # made at the first call when not given: outside ECS there is none
        self._protected = False
        self._set_at = 0.0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._url is not None

    def update(self, busy: bool) -> None:
        """Protect when busy (renewing at half the expiry), unprotect when idle. Failures are logged, not raised."""
        if self._url is None:
            return
        with self._lock:
            renew_due = time.monotonic() - self._set_at > self._expires_minutes * 30
            if busy == self._protected and not (busy and renew_due):
                return
            body: dict[str, object] = {"ProtectionEnabled": busy}
            if busy:
                body["ExpiresInMinutes"] = self._expires_minutes
            try:
                self._http = self._http or httpx.Client()
                response = self._http.put(self._url, json=body, timeout=5)
                response.raise_for_status()
                if "failure" in response.json() or "error" in response.json():
                    raise ValueError(response.text[:300])
            except (httpx.HTTPError, ValueError) as exc:
                # Not raised: a job must never fail for this, and the drain still covers a scale-in. But loud.
                log.error("could not set scale-in protection to %s: %s", busy, exc)
                emit_count(PROTECTION_FAILURES_METRIC)
                return
            self._protected = busy
            self._set_at = time.monotonic()
            log.info("scale-in protection %s", "on" if busy else "off")
