"""The OpenAPI document is the API's reference: every route summarised, with examples, and every error response
documented with the one error body a client really gets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.errors import example_body
from api.schemas import JOB_VIEW_EXAMPLES
from cli.stack import LocalStack
from core.errors import catalogue, job_failure_codes

ERROR_REF = "#/components/schemas/ErrorResponse"
CATALOGUE = {error.code: error for error in catalogue()}


@pytest.fixture(scope="module")
def spec(stack: LocalStack) -> dict[str, Any]:
    assert stack.api is not None
    return httpx.get(f"{stack.api.url}/openapi.json").json()  # type: ignore[no-any-return]


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_every_error_response_references_the_error_body(spec: dict[str, Any]) -> None:
    assert _operations(spec), "no routes in the spec"
    for method, path, op in _operations(spec):
        errors = {status: r for status, r in op["responses"].items() if status[0] in "45"}
        assert errors, f"{method} {path} documents no error response"
        assert "500" in errors, f"{method} {path} does not document 500"
        for status, response in errors.items():
            body = response["content"]["application/json"]
            assert body["schema"] == {"$ref": ERROR_REF}, f"{method} {path} {status}"
            # One named example per error code, each itself in the error body's shape.
            assert body["examples"], f"{method} {path} {status} has no example"
            for code, example in body["examples"].items():
                # Every example is the catalogue's (core/errors.py), under the status the catalogue gives it.
                error = CATALOGUE[code]
                assert (int(status), example["summary"]) == (error.http_status, error.when), (method, path, code)
                assert example["value"] == example_body(error)
                assert example["value"]["error"]["message"]
                assert f"`{code}`" in response["description"]
    # FastAPI's default 422 body (HTTPValidationError) is not what this API sends, so it must not be documented.
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_error_body_schema(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    # A failed job's error.code documents the catalogue's job failure codes.
    job_code = schemas["JobErrorInfo"]["properties"]["code"]["description"]
    assert all(f"`{code}`" in job_code for code in job_failure_codes()), job_code
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert schemas["ErrorResponse"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "details"}
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}


def test_every_route_is_summarised_and_described(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("description"), f"{method} {path} has no description"
        assert op.get("tags"), f"{method} {path} has no tag"
        success = [s for s in op["responses"] if s.startswith("2")]
        assert success, f"{method} {path} documents no success response"


def test_authenticated_routes_document_the_key_and_401(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        if path.startswith("/v1/"):
            assert op["security"] == [{"APIKeyHeader": []}], f"{method} {path}"
            examples = op["responses"]["401"]["content"]["application/json"]["examples"]
            assert set(examples) == {"missing_api_key", "invalid_api_key", "api_key_revoked"}
        else:
            assert "security" not in op, f"{method} {path} should need no key"


def test_request_and_response_examples(spec: dict[str, Any]) -> None:
    create = spec["paths"]["/v1/jobs"]["post"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    assert examples["jpeg"]["value"] == {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}
    schemas = spec["components"]["schemas"]
    for name in ("CreateJobRequest", "CreateJobResponse", "JobView", "UploadLimits", "ErrorResponse"):
        assert schemas[name].get("examples"), f"{name} has no example"
    # The served example follows the stack's engine (off here: no text); the engines that read text show boxes.
    for engine in ("local", "rekognition"):
        assert JOB_VIEW_EXAMPLES[engine]["result"]["analysis"]["lines"][0]["box"].keys() == {
            "left",
            "top",
            "width",
            "height",
        }


def test_documented_errors_are_the_errors_sent(stack: LocalStack, api_key: str, spec: dict[str, Any]) -> None:
    """Each documented status, provoked for real, answers with a documented code."""
    assert stack.api is not None
    with httpx.Client(base_url=stack.api.url, headers={"X-API-Key": api_key}) as client:
        provoked = {
            ("/v1/jobs", "post", "413"): client.post(
                "/v1/jobs", json={"filename": "a.png", "content_type": "image/png", "size_bytes": 10**9}
            ),
            ("/v1/jobs", "post", "415"): client.post(
                "/v1/jobs", json={"filename": "a.gif", "content_type": "image/gif", "size_bytes": 10}
            ),
            ("/v1/jobs", "post", "422"): client.post("/v1/jobs", json={"filename": "a.png"}),
            ("/v1/jobs", "post", "400"): client.post(
                "/v1/jobs", content=b"[" * 10_000, headers={"Content-Type": "application/json"}
            ),
            ("/v1/jobs/{job_id}", "get", "400"): client.get("/v1/jobs/nope"),
            ("/v1/jobs/{job_id}", "get", "404"): client.get("/v1/jobs/00000000-0000-4000-8000-000000000000"),
            ("/v1/limits", "get", "401"): client.get("/v1/limits", headers={"X-API-Key": "wrong"}),
        }
    for (path, method, status), response in provoked.items():
        assert str(response.status_code) == status, (path, response.text)
        documented = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["examples"]
        assert response.json()["error"]["code"] in documented, (path, status)
