"""One webhook delivery: vet the callback's address, POST the signed body to exactly that address, report.

The request goes to the vetted IP (the URL's host is sent as `Host` and, for https, as the TLS server name, against
which the certificate is checked), so DNS cannot point the connection elsewhere after the check. No proxies from the
environment, no redirects followed. Only the status line is read: a receiver's body is never downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.webhooks.addresses import CallbackUrlError, Resolver, system_resolver, vet
from core.webhooks.signature import EVENT_HEADER, HEADER, sign

USER_AGENT = "imgpipe-webhooks/1"


@dataclass(frozen=True)
class DeliveryResult:
    status: int | None  # the receiver's HTTP status; None when there was no answer
    error: str | None  # why it did not count as delivered

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def final(self) -> bool:
        """No retry: delivered, or the receiver said the endpoint is gone for good (410)."""
        return self.delivered or self.status == 410


@dataclass(frozen=True)
class DeliveryOptions:
    require_https: bool
    allow_private: bool
    connect_timeout: float = 3
    timeout: float = 10
    resolver: Resolver = system_resolver
    transport: httpx.BaseTransport | None = None  # tests: a MockTransport that records what would be sent


def deliver(url: str, body: bytes, *, secret: str, event_id: str, options: DeliveryOptions) -> DeliveryResult:
    try:
        target = vet(
            url, require_https=options.require_https, allow_private=options.allow_private, resolver=options.resolver
        )
    except CallbackUrlError as exc:
        return DeliveryResult(None, f"not sent: {exc}")
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: sign(secret, body),
        EVENT_HEADER: event_id,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(options.timeout, connect=options.connect_timeout)
    try:
        with (
            httpx.Client(
                transport=options.transport, trust_env=False, follow_redirects=False, timeout=timeout
            ) as client,
            client.stream("POST", target.pinned_url, content=body, headers=headers, extensions=extensions) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as exc:
        return DeliveryResult(None, f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return DeliveryResult(status, None)
    if 300 <= status < 400:
        return DeliveryResult(status, "redirects are not followed: give the final URL as callback_url")
    if status == 410:
        return DeliveryResult(status, "the receiver answered 410 Gone: no more attempts")
    return DeliveryResult(status, f"the receiver answered {status}")
