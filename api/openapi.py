"""The OpenAPI document states what this deployment enforces: readable operation ids, the content types and largest
size its settings accept, and the headers every answer carries.

The accepted types and the size limit are settings, known when the app is created, while the request models are
classes made at import: so they are written into the generated document here, once, from the same settings the
routes check against.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.auth import API_KEY_HEADER
from api.request_id import REQUEST_ID_HEADER
from core.config import Settings


def operation_id(route: APIRoute) -> str:
    """`createJob` for the route function `create_job`: one id per route, from its name."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _header(description: str, schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


_INTEGER = {"type": "integer", "minimum": 0}
_REQUEST_ID = _header("The request's id: the `X-Request-Id` sent, if sane, else a generated one.", {"type": "string"})
_RATE_LIMIT = {
    "RateLimit-Limit": _header(
        "Requests this API key may make per window (a minute); absent when the limit could not be checked.",
        _INTEGER,
        required=False,
    ),
    "RateLimit-Remaining": _header("Requests left in the current window.", _INTEGER, required=False),
    "RateLimit-Reset": _header("Seconds until the current window ends.", _INTEGER, required=False),
}
_RETRY_AFTER = _header("Seconds to wait before retrying.", {"type": "integer", "minimum": 1})
_WWW_AUTHENTICATE = _header(f"How to authenticate: an API key in the `{API_KEY_HEADER}` header.", {"type": "string"})
_REQUEST_ID_PARAMETER = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "description": "Your id for this request (up to 128 of `A-Z a-z 0-9 . _ -`), echoed in the response and "
    "written in every log line of the request; any other value is replaced by a generated id.",
    "schema": {"type": "string"},
}


def _document_headers(path: str, operation: dict[str, Any]) -> None:
    operation.setdefault("parameters", []).append(_REQUEST_ID_PARAMETER)
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers["X-Request-Id"] = _REQUEST_ID
        if path.startswith("/v1/") and status != "401":  # the key is counted once it is known to be valid
            headers.update(_RATE_LIMIT)
        if status in ("429", "503"):
            headers["Retry-After"] = _RETRY_AFTER
        if status == "401":
            headers["WWW-Authenticate"] = _WWW_AUTHENTICATE


def _state_the_limits(schemas: dict[str, Any], settings: Settings) -> None:
    request = schemas["CreateJobRequest"]["properties"]
    request["content_type"]["enum"] = sorted(settings.accepted_content_types)
    request["size_bytes"]["maximum"] = settings.max_upload_bytes
    # The presets and the most outputs are settings too (a total-pixel budget cannot be said in JSON Schema).
    for option in request["preset"].get("anyOf", [request["preset"]]):
        if option.get("type") == "string":
            option["enum"] = sorted(settings.recipes)
    for option in request["outputs"].get("anyOf", [request["outputs"]]):
        if option.get("type") == "array":
            option["maxItems"] = settings.max_outputs_per_job


def state_the_contract(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` the document described above (built once, then cached like FastAPI's own)."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()  # FastAPI's own, which it caches in app.openapi_schema: completed in place
            for path, operations in document["paths"].items():
                for operation in operations.values():
                    _document_headers(path, operation)
            _state_the_limits(document["components"]["schemas"], settings)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
