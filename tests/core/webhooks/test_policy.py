"""The webhook settings and the creation-time check built from them."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.errors import CallbackUrlNotAllowedError, InvalidCallbackUrlError
from core.webhooks.policy import check_callback_url, delivery_options


def test_private_hosts_are_allowed_on_a_local_stack_and_refused_in_aws() -> None:
    assert Settings(environment="local").webhook_allow_private_hosts is True
    assert Settings(environment="aws").webhook_allow_private_hosts is False
    with pytest.raises(ValidationError, match="webhook_allow_private_hosts is for local stacks only"):
        Settings(environment="aws", webhook_allow_private_hosts=True)


def test_aws_requires_https_and_a_public_host() -> None:
    aws = Settings(environment="aws")
    public = lambda host, port: ["93.184.215.14"]  # noqa: E731
    assert delivery_options(aws).require_https and not delivery_options(aws).allow_private
    assert check_callback_url("https://hooks.example.com/x", aws, public) == "https://hooks.example.com/x"
    with pytest.raises(InvalidCallbackUrlError, match="the scheme must be https"):
        check_callback_url("http://hooks.example.com/x", aws, public)
    with pytest.raises(InvalidCallbackUrlError, match="port 443 only"):
        check_callback_url("https://hooks.example.com:8443/x", aws, public)
    with pytest.raises(CallbackUrlNotAllowedError, match=r"169\.254\.169\.254"):
        check_callback_url("https://metadata.example/", aws, lambda host, port: ["169.254.169.254"])


def test_a_local_stack_takes_a_receiver_on_the_laptop() -> None:
    local = Settings(environment="local")
    assert check_callback_url("http://127.0.0.1:8700/", local) == "http://127.0.0.1:8700/"


@pytest.mark.parametrize("schedule", [[], [0], [43201]])
def test_the_retry_schedule_must_fit_sqs(schedule: list[int]) -> None:
    with pytest.raises(ValidationError, match="webhook_retry_schedule_seconds"):
        Settings(webhook_retry_schedule_seconds=schedule)


def test_a_name_lookup_that_hangs_is_refused_within_the_connect_timeout() -> None:
    """A resolver that never answers must not hold the create request (or the dispatcher) past the bound."""
    settings = Settings(environment="local", webhook_connect_timeout_seconds=0.2)
    answered = threading.Event()

    def hangs(host: str, port: int) -> list[str]:
        answered.wait(10)  # released below; without the bound the check would take these 10 s, then pass
        return ["93.184.215.14"]

    try:
        with pytest.raises(InvalidCallbackUrlError, match=r"'hooks\.example\.com' did not resolve within 0\.2 s"):
            check_callback_url("https://hooks.example.com/x", settings, hangs)
    finally:
        answered.set()
