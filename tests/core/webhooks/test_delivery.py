"""One delivery, with an injected resolver and a recording transport: what is sent, where, and what counts."""

from __future__ import annotations

import httpx
import pytest

from core.webhooks.delivery import DeliveryOptions, deliver
from core.webhooks.signature import verify

PUBLIC = "93.184.215.14"


class Recorder:
    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.headers = headers or {}

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(self.status, headers=self.headers)

        return httpx.MockTransport(handle)


def options(recorder: Recorder, *answers: list[str]) -> DeliveryOptions:
    """Options whose resolver gives each answer in turn (the last one from then on)."""
    queue = list(answers)

    def resolve(host: str, port: int) -> list[str]:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return DeliveryOptions(require_https=True, allow_private=False, resolver=resolve, transport=recorder.transport())


def test_the_body_goes_signed_to_the_vetted_address_with_the_name_as_host_and_tls_server_name() -> None:
    recorder = Recorder()
    result = deliver(
        "https://hooks.example.com/in?x=1",
        b'{"a":1}',
        secret="s",
        event_id="j:completed:1",
        options=options(recorder, [PUBLIC]),
    )
    assert result.delivered and result.error is None
    (request,) = recorder.requests
    assert str(request.url) == f"https://{PUBLIC}/in?x=1"  # pinned: the connection cannot go elsewhere
    assert request.headers["Host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"  # the certificate is checked against the name
    assert request.headers["Imgpipe-Event-Id"] == "j:completed:1"
    assert request.content == b'{"a":1}'
    verify("s", request.content, request.headers["Imgpipe-Signature"])


def test_dns_rebinding_is_refused_at_delivery_and_nothing_is_sent() -> None:
    # Public when the job was created (checked then), a private address by the time the outcome is delivered.
    recorder = Recorder()
    opts = options(recorder, [PUBLIC], ["10.0.0.1"])
    from core.webhooks.addresses import vet

    vet("https://rebind.example.com/", require_https=True, allow_private=False, resolver=opts.resolver)  # creation
    result = deliver("https://rebind.example.com/", b"{}", secret="s", event_id="e", options=opts)
    assert not result.delivered and not result.final
    assert result.error is not None and "10.0.0.1" in result.error and "public addresses only" in result.error
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("status", "delivered", "final", "error"),
    [
        (204, True, True, None),
        (301, False, False, "redirects are not followed"),
        (410, False, True, "410 Gone"),
        (500, False, False, "answered 500"),
        (429, False, False, "answered 429"),
    ],
)
def test_what_each_answer_means(status: int, delivered: bool, final: bool, error: str | None) -> None:
    recorder = Recorder(status, {"Location": "https://elsewhere.example/"} if status == 301 else None)
    result = deliver("https://hooks.example.com/", b"{}", secret="s", event_id="e", options=options(recorder, [PUBLIC]))
    assert (result.status, result.delivered, result.final) == (status, delivered, final)
    assert (error is None and result.error is None) or (error is not None and error in (result.error or ""))
    assert len(recorder.requests) == 1  # a redirect is not followed


def test_a_connection_failure_is_reported_not_raised() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    opts = DeliveryOptions(
        require_https=True, allow_private=False, resolver=lambda h, p: [PUBLIC], transport=httpx.MockTransport(refuse)
    )
    result = deliver("https://hooks.example.com/", b"{}", secret="s", event_id="e", options=opts)
    assert result.status is None and not result.final
    assert result.error == "ConnectError: connection refused"


def test_a_receiver_that_never_answers_is_given_up_on_after_the_timeout() -> None:
    # Accepts the connection, reads nothing, answers nothing: the read timeout ends the attempt.
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        release = threading.Event()

        def hold() -> None:
            connection, _ = server.accept()
            release.wait(30)
            connection.close()

        threading.Thread(target=hold, daemon=True).start()
        loopback = lambda host, port: ["127.0.0.1"]  # noqa: E731
        opts = DeliveryOptions(require_https=False, allow_private=True, timeout=0.5, resolver=loopback)
        try:
            result = deliver(f"http://stuck.test:{port}/", b"{}", secret="s", event_id="e", options=opts)
        finally:
            release.set()
    assert result.status is None and not result.final
    assert result.error is not None and result.error.startswith("ReadTimeout")
