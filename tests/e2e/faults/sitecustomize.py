"""Faults for one worker process, loaded by Python at start-up when this directory is on its PYTHONPATH.

`IMGPIPE_TEST_FAULTS` is a JSON list of rules. A rule applies to the requests of `service`/`operation` whose body
contains `match` (when given) and not `unless` (when given): `"action": "fail"` raises a connection error before
the request is sent (botocore retries it like a real one, then gives up), `"action": "delay"` holds it back
`seconds` first. No project code changes: the handler is registered on every client the process creates.
`{"action": "stall", "seconds": s}` stalls the job thread for `s` before it handles each received message, as CPU
starvation or a long GC pause between the receive and the claim would.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import botocore.session
from botocore.exceptions import EndpointConnectionError

_RULES: list[dict[str, Any]] = json.loads(os.environ.get("IMGPIPE_TEST_FAULTS", "[]"))


def _inject(request: Any, event_name: str, **_: Any) -> None:
    _, service, operation = event_name.split(".", 2)
    body = request.body or b""
    text = body.decode() if isinstance(body, bytes) else str(body)
    for rule in _RULES:
        if (rule.get("service"), rule.get("operation")) != (service, operation):
            continue
        if rule.get("match", "") not in text or rule.get("unless", "\0") in text:
            continue
        if rule["action"] == "delay":
            time.sleep(rule["seconds"])
        else:
            raise EndpointConnectionError(endpoint_url=request.url)


_create_client = botocore.session.Session.create_client


def _create_client_with_faults(self: Any, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-send", _inject)
    return client


def _stall_jobs(seconds: float) -> None:
    from worker.pipeline import JobProcessor

    handle = JobProcessor.handle

    def stalled(self: JobProcessor, *args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return handle(self, *args, **kwargs)

    JobProcessor.handle = stalled  # type: ignore[method-assign]


if _RULES:
    botocore.session.Session.create_client = _create_client_with_faults  # type: ignore[method-assign]
for _rule in _RULES:
    if _rule["action"] == "stall":
        _stall_jobs(_rule["seconds"])
