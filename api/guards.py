"""ASGI middlewares that bound what one request may cost: time (a deadline on AWS calls) and memory (body size).

Pure ASGI, not BaseHTTPMiddleware: they run on the event loop before FastAPI reads the body, and keep the request in
one task so the deadline's context variable reaches the thread that runs a sync route.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import imgpipe_error_response
from core.deadline import deadline
from core.errors import BodyTooLargeError


class Deadline:
    """Every AWS call a request makes must finish within `seconds` of its arrival (see core/deadline.py)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with deadline(self.seconds):
            await self.app(scope, receive, send)


def body_too_large_message(limit: int) -> str:
    return f"The request body is over {limit} bytes, the most this API reads. Requests here are small JSON documents."


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without Content-Length (chunked) grows past the limit; FastAPI passes
    HTTPExceptions raised while it reads the body through to the error handlers unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, body_too_large_message(limit))
        self.details = {"max_bytes": limit}


class BodyLimit:
    """Refuse bodies over `limit` bytes without reading them: by Content-Length up front, else by counting."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = imgpipe_error_response(
                BodyTooLargeError(body_too_large_message(self.limit), details={"max_bytes": self.limit})
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
