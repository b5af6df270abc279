"""Request deadlines for AWS calls, and telling "a dependency is down" apart from a bug.

The API sets a deadline per request (a context variable, which Starlette's thread pool copies into the thread that
runs a sync route). A botocore `before-send` hook refuses to start an attempt that could not finish by then, so a
stalled dependency costs a request at most its deadline and holds a thread no longer: an asyncio timeout around the
thread would answer the client but leave the thread blocked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from core.errors import DependencyUnavailableError

_deadline: ContextVar[float | None] = ContextVar("imgpipe_deadline", default=None)

# Error codes AWS services use for throttling and their own outages: retrying later can help, the request cannot.
_UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "InternalServiceError",
        "InternalServiceErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """AWS calls made inside (in this context, or threads started from it) must finish within `seconds`."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left before this context's deadline; None where there is none (the worker, scripts)."""
    due = _deadline.get()
    return None if due is None else due - time.monotonic()


def guard(attempt_seconds: float) -> Any:
    """A `before-send` handler: refuse an attempt that could take longer than the time left before the deadline."""

    def before_send(request: Any, **_: Any) -> None:
        due = _deadline.get()
        if due is not None and time.monotonic() + attempt_seconds > due:
            raise DependencyUnavailableError("An AWS dependency did not answer within this request's deadline.")

    return before_send


def is_unavailable(exc: BaseException) -> bool:
    """True for failures of a dependency (unreachable, timed out, throttling, its 5xx), not of our request."""
    if isinstance(exc, DependencyUnavailableError | BotoConnectionError | HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _UNAVAILABLE_CODES or status >= 500 or status == 429
    return False
