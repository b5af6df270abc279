"""Every request gets an id: the client's `X-Request-Id` when it is sane, else a new one. It is echoed in the
response's `X-Request-Id` and is in every log line written while the request runs (core/logs.py context), uvicorn's
access line included (uvicorn writes it while the response starts, inside this context).

Every response also gets `X-Content-Type-Options: nosniff`, and JSON ones `Cache-Control: no-store`.

The outermost middleware, so it also answers for anything unexpected raised below it: the 500 then carries the id
and its traceback is logged with it (Starlette's own last-resort handler runs outside this context).
"""

from __future__ import annotations

import logging
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import imgpipe_error_response
from core.errors import InternalError
from core.logs import log_context

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
STATE_KEY = "request_id"
# What a client's id may be: short, and safe to copy into logs and headers as it is.
_SANE = re.compile(rb"[A-Za-z0-9._-]{1,128}")
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}


def request_id_of(scope: Scope) -> str:
    """The client's id if it is sane, else a new one (a UUID4 in hex)."""
    header = REQUEST_ID_HEADER.lower().encode()
    given = next((v for k, v in scope["headers"] if k == header), None)
    return given.decode() if given is not None and _SANE.fullmatch(given) else uuid.uuid4().hex


def _add_headers(message: Message, request_id: str) -> None:
    headers = MutableHeaders(scope=message)
    headers[REQUEST_ID_HEADER] = request_id
    headers.update(_SECURITY_HEADERS)
    # JSON answers are per caller and per moment (jobs, errors, limits): no cache may keep or reuse them.
    if headers.get("content-type", "").startswith("application/json") and "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})[STATE_KEY] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _add_headers(message, request_id)
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error")
                if started:  # too late for an error body: the server closes the connection
                    raise
                await imgpipe_error_response(InternalError())(scope, receive, send_with_id)
