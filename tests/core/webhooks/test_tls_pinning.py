"""A pinned https delivery, for real: the connection goes to the vetted address, while TLS still names the URL's host
(SNI) and the certificate is checked against that name, not against the IP (a local server, a throwaway CA)."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.webhooks.delivery import DeliveryOptions, deliver
from core.webhooks.signature import verify


def self_signed(name: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class TlsReceiver:
    def __init__(self, cert: Path, key: Path) -> None:
        self.requests: list[tuple[str | None, dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = self._record_server_name
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                requests.append((self.path, dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _record_server_name(self, sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[TlsReceiver, Path]]:
    cert, key = self_signed("hooks.test", tmp_path)
    running = TlsReceiver(cert, key)
    yield running, cert
    running.close()


def options(trusted: Path) -> DeliveryOptions:
    return DeliveryOptions(
        require_https=True,
        allow_private=True,  # the test's receiver is on loopback
        resolver=lambda host, port: ["127.0.0.1"] if host == "hooks.test" else [],
        transport=httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(trusted))),
    )


def test_the_pinned_connection_names_the_host_for_tls_and_http(receiver: tuple[TlsReceiver, Path]) -> None:
    server, cert = receiver
    url = f"https://hooks.test:{server.port}/in"
    result = deliver(url, b'{"a":1}', secret="s", event_id="e", options=options(cert))
    assert (result.status, result.error) == (204, None)
    assert server.server_names == ["hooks.test"]
    ((path, headers, body),) = server.requests
    assert (path, headers["Host"], body) == ("/in", f"hooks.test:{server.port}", b'{"a":1}')
    verify("s", body, headers["Imgpipe-Signature"])


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    # The address answers, but with a certificate that is not for the URL's host: nothing is sent.
    cert, key = self_signed("other.test", tmp_path)
    server = TlsReceiver(cert, key)
    try:
        result = deliver(f"https://hooks.test:{server.port}/in", b"{}", secret="s", event_id="e", options=options(cert))
    finally:
        server.close()
    assert result.status is None and result.error is not None and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert server.requests == []
