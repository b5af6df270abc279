"""What the API refuses before it reads or parses a body: oversized bodies, callers without a valid key, and bodies
that are not JSON it can read, each with a documented code (over real HTTP against the local stack)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cli.stack import LocalStack

LIMIT = 64 * 1024
GOOD = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}


def _url(stack: LocalStack) -> str:
    assert stack.api is not None and stack.api.url is not None
    return stack.api.url


def _headers_only(stack: LocalStack, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Send a POST's head and none of its body, then read the answer: it can only come before the body is read."""
    parts = urlsplit(_url(stack))
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": parts.netloc, **headers}.items())
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(f"POST /v1/jobs HTTP/1.1\r\n{head}\r\n".encode())
        with sock.makefile("rb") as reader:
            status = int(reader.readline().split()[1])
            length = 0
            while (line := reader.readline().strip()) != b"":
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            return status, json.loads(reader.read(length))


def test_a_declared_oversized_body_is_refused_before_it_is_sent(stack: LocalStack, api_key: str) -> None:
    status, body = _headers_only(
        stack, {"X-API-Key": api_key, "Content-Type": "application/json", "Content-Length": str(50 * 1024 * 1024)}
    )
    assert status == 413
    assert body["error"]["code"] == "body_too_large"
    assert body["error"]["details"] == {"max_bytes": LIMIT}


def test_a_caller_without_a_valid_key_is_refused_before_the_body_is_read(stack: LocalStack) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}):
        status, body = _headers_only(stack, {**headers, "Content-Type": "application/json", "Content-Length": "1000"})
        assert status == 401
        assert body["error"]["code"] in {"missing_api_key", "invalid_api_key"}


def test_a_caller_without_a_key_gets_401_not_a_parse_error(stack: LocalStack) -> None:
    response = httpx.post(f"{_url(stack)}/v1/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"


@pytest.fixture
def keyed(stack: LocalStack, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=_url(stack), headers={"X-API-Key": api_key}, timeout=30) as client:
        yield client


def test_oversized_bodies_get_413_whether_declared_or_streamed(keyed: httpx.Client) -> None:
    big = json.dumps({**GOOD, "filename": "a" * (LIMIT + 1)}).encode()
    declared = keyed.post("/v1/jobs", content=big, headers={"Content-Type": "application/json"})

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    streamed = keyed.post("/v1/jobs", content=chunks(), headers={"Content-Type": "application/json"})
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "body_too_large"
        assert response.json()["error"]["details"] == {"max_bytes": LIMIT}
    # A small body still goes through.
    assert keyed.post("/v1/jobs", json=GOOD).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b'{"filename": "\xff\xfe.png", "content_type": "image/png", "size_bytes": 10}',  # not UTF-8
        b"[" * 10_000 + b"]" * 10_000,  # nested deeper than the parser's recursion limit
        b'{"filename": "a.png", "content_type": "image/png", "size_bytes": ' + b"9" * 4301 + b"}",  # int too long
    ],
    ids=["not-utf8", "nested-10000", "int-4301-digits"],
)
def test_bodies_json_cannot_read_get_invalid_body(keyed: httpx.Client, body: bytes) -> None:
    response = keyed.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_body"
    assert "UTF-8 JSON" in response.json()["error"]["message"]


def test_the_new_codes_are_documented(stack: LocalStack) -> None:
    spec = httpx.get(f"{_url(stack)}/openapi.json").json()
    responses = spec["paths"]["/v1/jobs"]["post"]["responses"]
    assert "invalid_body" in responses["400"]["content"]["application/json"]["examples"]
    assert "body_too_large" in responses["413"]["content"]["application/json"]["examples"]
    for path, method in (("/v1/jobs", "post"), ("/v1/jobs/{job_id}", "get"), ("/v1/limits", "get")):
        assert "dependency_unavailable" in spec["paths"][path][method]["responses"]["503"]["description"]
