"""Where a webhook may go: SSRF protection for `callback_url`, applied when a job is created and at every delivery.

A callback is refused when ANY address its host resolves to is not a public unicast address: loopback, private
(RFC 1918, fc00::/7 - which holds the instance metadata service's fd00:ec2::254), link-local (169.254/16 - which
holds 169.254.169.254), CGNAT 100.64/10, multicast, reserved, unspecified, and IPv4 addresses written as IPv6.
Delivery then connects to the address that was vetted (see delivery.py), so a name that changes its answer
between the check and the connection (DNS rebinding) cannot lead the worker elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses a connection could go to. Injected by tests; the system resolver otherwise.
Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class CallbackUrlError(ValueError):
    """Not a URL a webhook can be sent to; `not_allowed` when the reason is where it points (its addresses)."""

    def __init__(self, message: str, *, not_allowed: bool = False) -> None:
        super().__init__(message)
        self.not_allowed = not_allowed


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CallbackUrlError(f"the host {host!r} does not resolve ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# Lookups run here so that one which hangs (a resolver that does not answer) cannot hold a request or the dispatcher
# past its bound; getaddrinfo cannot be cancelled, so a hung lookup keeps its thread until the system gives up.
_lookups = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dns")


def bounded(resolver: Resolver, seconds: float) -> Resolver:
    """`resolver`, failing with CallbackUrlError when it has not answered within `seconds`."""

    def resolve(host: str, port: int) -> list[str]:
        lookup = _lookups.submit(resolver, host, port)
        try:
            return lookup.result(timeout=seconds)
        except FutureTimeout:
            lookup.cancel()
            raise CallbackUrlError(f"the host {host!r} did not resolve within {seconds:g} s") from None

    return resolve


def refusal(address: IpAddress) -> str | None:
    """Why a webhook may not go to `address`, or None if it may (a public unicast address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "an IPv4 address written as IPv6"
    checks = [
        (address in _METADATA, "the instance metadata service"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "carrier-grade NAT (100.64.0.0/10)"),
        (address.is_private, "private"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not globally routable"),
    ]
    return next((reason for refused, reason in checks if refused), None)


@dataclass(frozen=True)
class Target:
    """A callback URL split up, with the address delivery must connect to (None: not resolved yet)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str | None = None

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the vetted address."""
        if self.address is None:
            raise ValueError("the target has not been resolved")
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"


def parse(url: str, *, require_https: bool) -> Target:
    """Check the URL's form (no resolution): http(s) with a host, no credentials, https if required."""
    if len(url) > MAX_URL_LENGTH:
        raise CallbackUrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackUrlError(f"not a valid URL ({exc})") from None
    schemes = ("https",) if require_https else ("http", "https")
    if parts.scheme not in schemes:
        raise CallbackUrlError(f"the scheme must be {' or '.join(schemes)}, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise CallbackUrlError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise CallbackUrlError("the URL must not carry credentials (user:password@)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(url=url, scheme=parts.scheme, host=parts.hostname, port=port or default_port, path=path)


def vet(url: str, *, require_https: bool, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """The target to connect to: the URL parsed and its host resolved, every address checked (unless
    `allow_private`, for a local stack); raises CallbackUrlError saying why not."""
    target = parse(url, require_https=require_https)
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(target.host, target.port)]
    except ValueError as exc:
        if isinstance(exc, CallbackUrlError):
            raise
        raise CallbackUrlError(f"the host {target.host!r} resolved to something that is not an address") from None
    if not addresses:
        raise CallbackUrlError(f"the host {target.host!r} has no address")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise CallbackUrlError(
                    f"the host {target.host!r} resolves to {address}, which is {reason}: webhooks go to public "
                    "addresses only",
                    not_allowed=True,
                )
    return replace(target, address=str(addresses[0]))
