"""`Imgpipe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, Stripe's webhook signature scheme.

The timestamp is signed with the body, so a captured delivery cannot be replayed outside the tolerance window; `v1`
names the scheme, so another can be added beside it later. README "Webhooks" shows the same check in a few lines of
plain Python (a test runs that snippet against a real delivery); `imgpipe webhooks listen` uses this module.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Imgpipe-Signature"
EVENT_HEADER = "Imgpipe-Event-Id"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},{SCHEME}={_digest(secret, t, body)}"


class SignatureError(ValueError):
    """The header is missing, malformed, outside the tolerance window or matches no signature of the body."""


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a delivery; returns its signed timestamp, raises SignatureError saying why it is not genuine."""
    if not header:
        raise SignatureError(f"no {HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureError(f"{HEADER} has no t=<unix time> or no {SCHEME}=<signature>")
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance:
        raise SignatureError(f"signed {int(age)} s ago: outside the {tolerance} s window (a replay, or a clock off)")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("no signature matches the body with this secret")
    return timestamp
