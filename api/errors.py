"""Every error response has one shape: {"error": {"code", "message", "details"}}.

The handlers below turn every failure (our ImgpipeError hierarchy, FastAPI's validation errors, Starlette's
404/405, anything unexpected) into that body. `responses(...)` documents the same body, with an example per
error code, in each route's OpenAPI entry, so Swagger UI shows what a client gets back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.deadline import DependencyUnavailableError, is_unavailable
from core.errors import ImgpipeError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.", examples=["unsupported_content_type"])
    message: str = Field(
        description="What went wrong and what to do about it, for a person.",
        examples=["Content type 'image/gif' is not accepted; send one of: image/jpeg, image/png."],
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra context for programs, e.g. the failing fields or the accepted values.",
        examples=[{"accepted": ["image/jpeg", "image/png"]}],
    )


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_api_key",
                        "message": "The X-API-Key header does not match any configured API key.",
                        "details": {},
                    }
                }
            ]
        }
    )

    error: ErrorDetail


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, details=details or {}))
    return JSONResponse(
        status_code=status, content=body.model_dump(mode="json"), headers=dict(headers) if headers else None
    )


@dataclass(frozen=True)
class DocumentedError:
    """One error code a route can answer with, as OpenAPI shows it: status, code, an example message."""

    status: int
    code: str
    when: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def responses(*errors: DocumentedError) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses: all the common error body, with one named example per code."""
    by_status: dict[int, list[DocumentedError]] = defaultdict(list)
    for error in errors:
        by_status[error.status].append(error)
    documented: dict[int | str, dict[str, Any]] = {}
    for status, entries in sorted(by_status.items()):
        examples = {
            e.code: {
                "summary": e.when,
                "value": {"error": {"code": e.code, "message": e.message, "details": e.details}},
            }
            for e in entries
        }
        documented[status] = {
            "model": ErrorResponse,
            "description": "; ".join(f"`{e.code}`: {e.when}" for e in entries),
            "content": {"application/json": {"examples": examples}},
        }
    return documented


MISSING_API_KEY = DocumentedError(
    401, "missing_api_key", "no `X-API-Key` header", "Send your API key in the X-API-Key header."
)
INVALID_API_KEY = DocumentedError(
    401,
    "invalid_api_key",
    "the key matches no configured key",
    "The X-API-Key header does not match any configured API key. Check the key you were given "
    "(the local stack prints its key when it starts).",
)
VALIDATION_ERROR = DocumentedError(
    422,
    "validation_error",
    "malformed body or parameters",
    "Invalid request: body.size_bytes: Input should be greater than 0. See /docs for the request's schema.",
    {"errors": [{"location": "body.size_bytes", "message": "Input should be greater than 0"}]},
)
BODY_TOO_LARGE = DocumentedError(
    413,
    "body_too_large",
    "the request body is over the API's limit (64 KiB by default)",
    "The request body is over 65536 bytes, the most this API reads. Requests here are small JSON documents.",
    {"max_bytes": 65536},
)
INVALID_BODY = DocumentedError(
    400,
    "invalid_body",
    "the body is not JSON the API can read (not UTF-8, nested too deep, integers too long)",
    "The request body could not be read as JSON: send UTF-8 JSON without deeply nested values or integers of "
    "thousands of digits.",
)
DEPENDENCY_UNAVAILABLE = DocumentedError(
    503,
    "dependency_unavailable",
    "an AWS service the API needs is down or too slow; retry after `Retry-After` seconds",
    "An AWS dependency did not answer within this request's deadline. Retry after the Retry-After header's seconds.",
)
INTERNAL_ERROR = DocumentedError(
    500,
    "internal_error",
    "an unexpected server error",
    "Unexpected server error; retry, and report it if it persists.",
)

# Errors any route with a JSON body can answer with (checked before the route runs).
BODY_ERRORS = (BODY_TOO_LARGE, INVALID_BODY)

RETRY_AFTER_SECONDS = 5

_HTTP_CODES = {
    400: INVALID_BODY.code,  # FastAPI's only 400: a body it could not decode or parse
    404: "not_found",
    405: "method_not_allowed",
    401: "unauthorized",
    403: "forbidden",
    413: BODY_TOO_LARGE.code,  # api/guards.py: a streamed body past the limit
}


def imgpipe_error_response(exc: ImgpipeError) -> JSONResponse:
    # A 503 is a promise that retrying can work: say when (RFC 9110 Retry-After).
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.http_status == 503 else None
    return error_response(exc.http_status, exc.code, exc.message, exc.details, headers=headers)


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"Nothing at {request.url.path}. The API's routes are listed at /docs; the results page is at /ui."
    if exc.status_code == 400:
        return INVALID_BODY.message
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"{request.method} is not allowed on {request.url.path}" + (
            f"; use {allowed}." if allowed else "; see /docs."
        )
    return str(exc.detail)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ImgpipeError)
    async def _imgpipe_error(_: Request, exc: ImgpipeError) -> JSONResponse:
        return imgpipe_error_response(exc)

    @app.exception_handler(BotoCoreError)
    @app.exception_handler(ClientError)
    async def _aws_error(_: Request, exc: Exception) -> JSONResponse:
        # A dependency that is down is not our bug: 503 with Retry-After, not 500.
        if is_unavailable(exc):
            log.warning("dependency unavailable: %s", exc)
            return imgpipe_error_response(DependencyUnavailableError(DEPENDENCY_UNAVAILABLE.message))
        log.error("AWS call failed", exc_info=exc)
        return error_response(500, INTERNAL_ERROR.code, INTERNAL_ERROR.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        message = f"Invalid request: {summary}. See /docs for the request's schema."
        return error_response(422, VALIDATION_ERROR.code, message, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        details = getattr(exc, "details", None)  # api/guards.BodyTooLarge carries the limit
        return error_response(exc.status_code, code, _http_message(request, exc), details, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, INTERNAL_ERROR.code, INTERNAL_ERROR.message)
