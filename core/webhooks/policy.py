"""The deployment's webhook policy from its settings: https only in AWS, private receivers only on a local stack."""

from __future__ import annotations

from core.config import Settings
from core.errors import CallbackUrlNotAllowedError, InvalidCallbackUrlError
from core.webhooks.addresses import CallbackUrlError, Resolver, bounded, system_resolver, vet
from core.webhooks.delivery import DeliveryOptions

# terraform/modules/service: the tasks' security group lets them out on 443 only.
AWS_PORT = 443


def delivery_options(settings: Settings, resolver: Resolver = system_resolver) -> DeliveryOptions:
    return DeliveryOptions(
        require_https=settings.environment == "aws",
        allow_private=settings.webhook_allow_private_hosts,
        connect_timeout=settings.webhook_connect_timeout_seconds,
        timeout=settings.webhook_timeout_seconds,
        # The name lookup is part of connecting: bounded like the connection, at creation and at delivery.
        resolver=bounded(resolver, settings.webhook_connect_timeout_seconds),
    )


def check_callback_url(url: str, settings: Settings, resolver: Resolver = system_resolver) -> str:
    """`url` if a webhook may be sent there now; the catalogue's 422 errors saying why not otherwise. Delivery checks
    again (a name's addresses can change in between)."""
    options = delivery_options(settings, resolver)
    try:
        target = vet(
            url, require_https=options.require_https, allow_private=options.allow_private, resolver=options.resolver
        )
    except CallbackUrlError as exc:
        if exc.not_allowed:
            raise CallbackUrlNotAllowedError(f"callback_url is not allowed: {exc}.") from None
        raise InvalidCallbackUrlError(f"callback_url is not usable: {exc}.") from None
    if settings.environment == "aws" and target.port != AWS_PORT:
        raise InvalidCallbackUrlError(f"callback_url is not usable: in AWS webhooks go to port {AWS_PORT} only.")
    return url
