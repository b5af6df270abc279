"""Faults for one worker or API process, loaded by Python at start-up when this directory is on its PYTHONPATH
(tests.support.fault_env builds that environment). No project code changes: a `before-send` handler is registered
on every botocore client the process creates.

`IMGPIPE_TEST_FAULTS` is a JSON list of rules. A request rule applies to the requests of `service` (and of
`operation`, when given) whose body contains `match` (when given) and not `unless` (when given), and, when `flag`
names a file, only while that file exists (`"once": true` removes it as the rule fires, so it fires once per touch).
Its `action`:
- `"fail"` raises a connection error before the request is sent (botocore retries it like a real one, then gives up);
- `"delay"` holds the request back `seconds` first;
- `"lose_answer"` really sends the request (the write lands) and then raises a read timeout, as on a slow network.
- `"hold"` creates the file `held` (when given) and holds the request until the file `until` exists (at most
  `seconds`, 60 by default): a test can act at that exact point, then let the request go.
`{"action": "stall", "seconds": s}` stalls the job thread for `s` before it handles each received message, as CPU
starvation or a long GC pause between the receive and the claim would.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

_RULES: list[dict[str, Any]] = json.loads(os.environ.get("IMGPIPE_TEST_FAULTS", "[]"))


def _applies(rule: dict[str, Any], service: str, operation: str, text: str) -> bool:
    if rule["action"] == "stall" or rule.get("service") != service:
        return False
    if rule.get("operation", operation) != operation:
        return False
    if rule.get("match", "") not in text or rule.get("unless", "\0") in text:
        return False
    flag = rule.get("flag")
    if flag is None:
        return True
    if not Path(flag).exists():
        return False
    if rule.get("once"):
        Path(flag).unlink()
    return True


def _inject(request: Any, event_name: str, **_: Any) -> None:
    _, service, operation = event_name.split(".", 2)
    body = request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    for rule in _RULES:
        if not _applies(rule, service, operation, text):
            continue
        if rule["action"] == "delay":
            time.sleep(rule["seconds"])
        elif rule["action"] == "hold":
            _hold(rule)
        elif rule["action"] == "lose_answer":
            URLLib3Session().send(request)  # the write lands...
            raise ReadTimeoutError(endpoint_url=request.url)  # ...and its answer never arrives
        else:
            raise EndpointConnectionError(endpoint_url=request.url)


def _hold(rule: dict[str, Any]) -> None:
    if "held" in rule:
        Path(rule["held"]).touch()
    due = time.monotonic() + rule.get("seconds", 60)
    while not Path(rule["until"]).exists() and time.monotonic() < due:
        time.sleep(0.05)


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
