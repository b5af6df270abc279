"""SSRF protection of callback URLs: which addresses a webhook may go to, with an injected resolver."""

from __future__ import annotations

import ipaddress

import pytest

from core.webhooks.addresses import CallbackUrlError, parse, refusal, vet

PUBLIC = "93.184.215.14"


def resolver_of(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # the instance metadata service
        "fd00:ec2::254",  # ... over IPv6
        "169.254.10.10",
        "fe80::1",
        "100.64.0.1",  # CGNAT
        "224.0.0.1",
        "0.0.0.0",
        "::",
        "240.0.0.1",
        "::ffff:10.0.0.1",
        "fc00::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None
    with pytest.raises(CallbackUrlError, match="public addresses only") as caught:
        vet("https://hooks.example.com/in", require_https=True, allow_private=False, resolver=resolver_of(address))
    assert caught.value.not_allowed


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
    target = vet(
        "https://hooks.example.com/in?x=1", require_https=True, allow_private=False, resolver=resolver_of(address)
    )
    assert (target.address, target.host, target.port, target.path) == (address, "hooks.example.com", 443, "/in?x=1")


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(CallbackUrlError, match=r"10\.0\.0\.1"):
        vet("https://h.example/", require_https=True, allow_private=False, resolver=resolver_of(PUBLIC, "10.0.0.1"))


def test_allow_private_lets_a_local_receiver_through() -> None:
    target = vet("http://localhost:9000/", require_https=False, allow_private=True, resolver=resolver_of("127.0.0.1"))
    assert target.pinned_url == "http://127.0.0.1:9000/"
    assert target.host_header == "localhost:9000"


@pytest.mark.parametrize(
    ("url", "require_https", "why"),
    [
        ("http://hooks.example.com/", True, "must be https"),
        ("ftp://hooks.example.com/", False, "must be http or https"),
        ("https:///nohost", False, "no host"),
        ("https://user:pw@hooks.example.com/", False, "credentials"),
        ("https://hooks.example.com:99999/", False, "not a valid URL"),
        ("https://hooks.example.com/" + "a" * 2048, False, "longer than"),
    ],
)
def test_malformed_or_insecure_urls_are_refused_before_any_lookup(url: str, require_https: bool, why: str) -> None:
    with pytest.raises(CallbackUrlError, match=why) as caught:
        parse(url, require_https=require_https)
    assert not caught.value.not_allowed


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(CallbackUrlError, match="does not resolve"):
        vet("https://no-such-host.invalid/", require_https=True, allow_private=False)


def test_ipv6_literals_are_pinned_with_brackets() -> None:
    target = vet(
        "https://[2606:4700:4700::1111]:8443/x",
        require_https=True,
        allow_private=False,
        resolver=resolver_of("2606:4700:4700::1111"),
    )
    assert target.pinned_url == "https://[2606:4700:4700::1111]:8443/x"
    assert target.host_header == "[2606:4700:4700::1111]:8443"
