"""Every error response has one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import ImgpipeError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.", examples=["unsupported_content_type"])
    message: str = Field(description="What went wrong and what to do about it.")
    details: dict[str, Any] = Field(default_factory=dict, description="Extra context, e.g. the failing fields.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, details=details or {}))
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


def responses(*codes: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, all with the common error body."""
    return {status: {"model": ErrorResponse, "description": text} for status, text in codes}


# Error responses each route documents in OpenAPI.
AUTH_ERRORS = responses((401, "Missing or invalid `X-API-Key`."))
VALIDATION_ERRORS = responses((422, "The request body or parameters are malformed (`validation_error`)."))


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ImgpipeError)
    async def _imgpipe_error(_: Request, exc: ImgpipeError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return error_response(422, "validation_error", f"Invalid request: {summary}", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Unexpected server error; retry, and report it if it persists.")
