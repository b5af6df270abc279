"""Every error response has one shape: {"error": {"code", "message", "details"}}.

The handlers below turn every failure (our ImgpipeError hierarchy, FastAPI's validation errors, Starlette's
404/405, anything unexpected) into that body. `responses(...)` documents the same body, with the example of each
error code from the catalogue (core/errors.py), in each route's OpenAPI entry, so Swagger UI shows what a client
gets back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.deadline import is_unavailable
from core.errors import (
    ApiKeyRevokedError,
    BodyTooLargeError,
    DependencyUnavailableError,
    ImgpipeError,
    InternalError,
    InvalidApiKeyError,
    InvalidBodyError,
    InvalidRequestError,
    MethodNotAllowedError,
    MissingApiKeyError,
    NotFoundError,
    RateLimitedError,
    UnsupportedContentTypeError,
)

log = logging.getLogger(__name__)


def example_body(error: type[ImgpipeError]) -> dict[str, Any]:
    """The response body of the catalogue's example for `error`."""
    return {"error": {"code": error.code, "message": error.example, "details": dict(error.example_details)}}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.", examples=[UnsupportedContentTypeError.code])
    message: str = Field(
        description="What went wrong and what to do about it, for a person.",
        examples=[UnsupportedContentTypeError.example],
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra context for programs, e.g. the failing fields or the accepted values.",
        examples=[dict(UnsupportedContentTypeError.example_details)],
    )


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response."""

    model_config = ConfigDict(json_schema_extra={"examples": [example_body(InvalidApiKeyError)]})

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


def responses(*errors: type[ImgpipeError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses: all the common error body, with the catalogue's example per code."""
    by_status: dict[int, list[type[ImgpipeError]]] = defaultdict(list)
    for error in errors:
        by_status[error.http_status].append(error)
    documented: dict[int | str, dict[str, Any]] = {}
    for status, entries in sorted(by_status.items()):
        examples = {e.code: {"summary": e.when, "value": example_body(e)} for e in entries}
        documented[status] = {
            "model": ErrorResponse,
            "description": "; ".join(f"`{e.code}`: {e.when}" for e in entries),
            "content": {"application/json": {"examples": examples}},
        }
    return documented


# Errors any route with a JSON body can answer with (checked before the route runs).
BODY_ERRORS = (BodyTooLargeError, InvalidBodyError)
# Every route under /v1 may answer these (api/auth.py, then api/ratelimit.py).
AUTH_ERRORS = (MissingApiKeyError, InvalidApiKeyError, ApiKeyRevokedError, RateLimitedError)

RETRY_AFTER_SECONDS = 5

# The codes of the HTTPExceptions Starlette and FastAPI raise themselves.
_HTTP_ERRORS: dict[int, type[ImgpipeError]] = {
    400: InvalidBodyError,  # FastAPI's only 400: a body it could not decode or parse
    404: NotFoundError,
    405: MethodNotAllowedError,
    413: BodyTooLargeError,  # api/guards.py: a streamed body past the limit
}


# RFC 9110 11.6.1: a 401 names the scheme it wants. API keys have no registered scheme; this is the usual form.
WWW_AUTHENTICATE = 'ApiKey realm="imgpipe", header="X-API-Key"'


def _headers(exc: ImgpipeError) -> dict[str, str]:
    # A 503 or 429 is a promise that retrying can work: say when (RFC 9110 Retry-After).
    if exc.http_status == 503:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.details.get("retry_after_seconds", RETRY_AFTER_SECONDS))}
    if exc.http_status == 401:
        return {"WWW-Authenticate": WWW_AUTHENTICATE}
    return {}


def imgpipe_error_response(exc: ImgpipeError) -> JSONResponse:
    return error_response(exc.http_status, exc.code, exc.message, exc.details, headers=_headers(exc))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path. Starlette's 405 names only the first route whose path matched, so
    /v1/jobs (GET in one router, POST in another) would allow one of them."""
    allowed = {
        method
        for method in _METHODS
        for route in request.app.router.routes
        if route.matches({**request.scope, "method": method})[0] is Match.FULL
    }
    return ", ".join(m for m in _METHODS if m in allowed)


def _http_message(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"Nothing at {request.url.path}. The API's routes are listed at /docs; the results page is at /ui."
    if exc.status_code == 400:
        return InvalidBodyError.example
    if exc.status_code == 405:
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
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
            return imgpipe_error_response(DependencyUnavailableError())
        log.error("AWS call failed", exc_info=exc)
        return imgpipe_error_response(InternalError())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        message = f"Invalid request: {summary}. See /docs for the request's schema."
        return imgpipe_error_response(InvalidRequestError(message, details={"errors": errors}))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = _HTTP_ERRORS.get(exc.status_code)
        code = known.code if known else f"http_{exc.status_code}"
        details = getattr(exc, "details", None)  # api/guards.BodyTooLarge carries the limit
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (allowed := _allowed_methods(request)):
            headers["Allow"] = allowed
        return error_response(exc.status_code, code, _http_message(request, exc), details, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return imgpipe_error_response(InternalError())
