"""The contract, tight (issue 15 point 7): the OpenAPI document states what the server enforces, every answer carries
its request id and safe headers, and a fuzzer (schemathesis, every check) finds nothing the document does not say."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.main import create_app
from api.request_id import REQUEST_ID_HEADER
from cli.processes import Service, start_api
from cli.stack import LocalStack
from core.api_keys import ApiKeyStore
from core.aws import AwsClients
from core.config import Settings
from tests.support import UNLIMITED_RATE

JSON_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


@pytest.fixture(scope="module")
def spec(stack: LocalStack) -> dict[str, Any]:
    assert stack.api is not None
    return httpx.get(f"{stack.api.url}/openapi.json").json()  # type: ignore[no-any-return]


def test_operations_have_readable_ids(spec: dict[str, Any]) -> None:
    ids = {op["operationId"]: (method, path) for path, ops in spec["paths"].items() for method, op in ops.items()}
    assert ids["createJob"] == ("post", "/v1/jobs")
    assert ids["getJob"] == ("get", "/v1/jobs/{job_id}")
    assert ids["getLimits"] == ("get", "/v1/limits")
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", i) for i in ids), sorted(ids)


def test_the_document_states_the_deployment_s_limits(spec: dict[str, Any], stack: LocalStack) -> None:
    request = spec["components"]["schemas"]["CreateJobRequest"]["properties"]
    assert request["content_type"]["enum"] == sorted(stack.settings.accepted_content_types)
    assert request["size_bytes"]["type"] == "integer"
    assert request["size_bytes"]["maximum"] == stack.settings.max_upload_bytes
    job_id = next(p for p in spec["paths"]["/v1/jobs/{job_id}"]["get"]["parameters"] if p["name"] == "job_id")
    assert job_id["schema"]["format"] == "uuid"
    # Another deployment, other settings: its document says so.
    other = create_app(Settings(accepted_formats=["PNG", "WEBP"], max_upload_bytes=5000)).openapi()
    request = other["components"]["schemas"]["CreateJobRequest"]["properties"]
    assert (request["content_type"]["enum"], request["size_bytes"]["maximum"]) == (["image/png", "image/webp"], 5000)


def test_the_document_declares_the_headers(spec: dict[str, Any]) -> None:
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert any(p["name"] == REQUEST_ID_HEADER and p["in"] == "header" for p in op["parameters"]), path
            for status, response in op["responses"].items():
                assert response["headers"][REQUEST_ID_HEADER]["required"], (path, status)
                if path.startswith("/v1/"):
                    assert ("RateLimit-Remaining" in response["headers"]) == (status != "401"), (path, status)
            if path.startswith("/v1/"):
                assert op["responses"]["429"]["headers"]["Retry-After"]["required"]
                assert op["responses"]["401"]["headers"]["WWW-Authenticate"]["required"]
                assert set(op["responses"]["429"]["content"]["application/json"]["examples"]) == {"rate_limited"}
    assert spec["paths"]["/v1/jobs"]["post"]["responses"]["201"]["headers"]["Location"]["required"]


def test_json_answers_carry_the_request_id_and_are_not_stored(stack: LocalStack, api_key: str) -> None:
    assert stack.api is not None and stack.api.url is not None
    with httpx.Client(base_url=stack.api.url, headers={"X-API-Key": api_key}, timeout=30) as api:
        answers = {
            "created": api.post("/v1/jobs", json={"filename": "a.png", "content_type": "image/png", "size_bytes": 1}),
            "invalid": api.post("/v1/jobs", json={"filename": "a.png"}),
            "no route": api.get("/v2/nothing"),
            "method": api.delete("/v1/limits"),
            "health": api.get("/healthz"),
            "document": api.get("/openapi.json"),
            "anonymous": api.get("/v1/limits", headers={"X-API-Key": ""}),
        }
        for name, answer in answers.items():
            assert answer.headers["content-type"].startswith("application/json"), name
            assert {k: answer.headers.get(k) for k in JSON_HEADERS} == JSON_HEADERS, name
            assert re.fullmatch(r"[0-9a-f]{32}", answer.headers[REQUEST_ID_HEADER]), name
        assert answers["anonymous"].headers["WWW-Authenticate"] == 'ApiKey realm="imgpipe", header="X-API-Key"'
        # A sane id of the client's is kept; anything else is replaced.
        sane = "order-7781.retry_2"
        assert api.get("/v1/limits", headers={REQUEST_ID_HEADER: sane}).headers[REQUEST_ID_HEADER] == sane
        for insane in ("x" * 129, "a b", "id\x7f", "ü"):
            given = api.get("/v1/limits", headers={REQUEST_ID_HEADER: insane.encode("latin-1")})
            assert re.fullmatch(r"[0-9a-f]{32}", given.headers[REQUEST_ID_HEADER]), insane
        page = api.get("/docs")
        assert page.headers["x-content-type-options"] == "nosniff" and REQUEST_ID_HEADER in page.headers


@pytest.fixture
def logged_api(stack: LocalStack, tmp_path: Path) -> Iterator[tuple[Service, Path]]:
    """An API whose log lines the test reads; its counts' table is missing, so requests log a warning too."""
    log_path = tmp_path / "api.log"
    api = start_api({**stack.env, "IMGPIPE_RATE_LIMITS_TABLE": "no-such-table"}, log_path=log_path)
    try:
        yield api, log_path
    finally:
        api.stop()


def test_every_log_line_of_a_request_carries_its_id(logged_api: tuple[Service, Path], api_key: str) -> None:
    api, log_path = logged_api
    job_id = str(uuid.uuid4())
    answer = httpx.get(
        f"{api.url}/v1/jobs/{job_id}", headers={"X-API-Key": api_key, REQUEST_ID_HEADER: "trace-1"}, timeout=30
    )
    assert answer.status_code == 404
    api.stop()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith('{"ts"')]
    # Lines about this request: the middleware's warning (event loop) and uvicorn's access line.
    about = [line for line in lines if job_id in str(line["msg"]) or "rate limit" in str(line["msg"])]
    assert len(about) >= 2, lines
    assert all(line.get("request_id") == "trace-1" for line in about), about


SCHEMATHESIS_CONFIG = """
[generation]
database = "none"

[checks.positive_data_acceptance]
# What no JSON Schema can say: 400, a list's `cursor` is opaque (only `next_cursor` of the caller's own list is
# valid: `invalid_cursor`); 422, a `callback_url` host must resolve to a public address (a DNS fact) and a recipe
# stays within its total-pixel budget with unique output names.
expected-statuses = ["200", "201", "204", "400", "401", "403", "404", "409", "422", "429"]

[checks.negative_data_rejection]
# 413 and 415 are this API's documented refusals of a too large `size_bytes` and a `content_type` outside the enum.
expected-statuses = ["400", "401", "404", "405", "409", "413", "415", "422"]
"""


def test_a_fuzzer_finds_nothing_the_document_does_not_declare(
    stack: LocalStack, clients: AwsClients, tmp_path: Path
) -> None:
    """schemathesis with every check, against the local stack's API process: no 5xx, no status, header or body the
    document does not declare, no invalid input accepted, no valid input refused. Bounded: a fixed seed and 25
    examples per operation."""
    pytest.importorskip("schemathesis", reason="the fuzzer is in the `test` extra: pip install -e '.[test]'")
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli is not None
    assert stack.api is not None
    # A key of its own: its jobs are not the dev key's, and its rate does not limit the run.
    _, token = ApiKeyStore(clients.dynamodb, stack.settings.api_keys_table).create(
        "fuzzer", rate_per_minute=UNLIMITED_RATE
    )
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    argv = [cli, "--config-file", str(config), "run", f"{stack.api.url}/openapi.json", "--checks", "all"]
    argv += ["--header", f"X-API-Key: {token}", "--max-examples", "25", "--seed", "15", "--workers", "1"]
    run = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=280, check=False)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout, run.stdout[-3000:]


def test_an_unexpected_error_answers_500_with_its_request_id_logged() -> None:
    """The traceback's log line carries the request id the client got (Starlette's last-resort handler would log it
    outside the request's context)."""
    from fastapi.testclient import TestClient

    from core.logs import JsonFormatter

    app = create_app(Settings())

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter("api").format(record))

    handler = Capture()
    logging.getLogger().addHandler(handler)
    try:
        answer = TestClient(app, raise_server_exceptions=False).get("/boom", headers={REQUEST_ID_HEADER: "bug-1"})
    finally:
        logging.getLogger().removeHandler(handler)
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert answer.headers[REQUEST_ID_HEADER] == "bug-1"
    assert {k: answer.headers.get(k) for k in JSON_HEADERS} == JSON_HEADERS
    logged = [json.loads(line) for line in lines if "a bug" in line]
    assert logged and all(line["request_id"] == "bug-1" for line in logged), lines
