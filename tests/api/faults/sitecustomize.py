"""Fault for an API process started with this directory on PYTHONPATH (tests/api/routes/test_create_retries.py).

While the file named by IMGPIPE_TEST_LOSE_ANSWER_FLAG exists, the next DynamoDB PutItem is really sent and written,
then its answer is "lost" (a read timeout), as on a slow network; the flag is removed, so it happens once. botocore's
retry mode then sends the put again, exactly what a slow DynamoDB does to a create.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3.session
from botocore.exceptions import ReadTimeoutError
from botocore.httpsession import URLLib3Session

_FLAG = os.environ.get("IMGPIPE_TEST_LOSE_ANSWER_FLAG")
_create_client = boto3.session.Session.client


def _send_then_lose_answer(request: Any, **_: Any) -> None:
    if _FLAG is None or not Path(_FLAG).exists():
        return
    Path(_FLAG).unlink()
    URLLib3Session().send(request)  # the write lands...
    raise ReadTimeoutError(endpoint_url=request.url)  # ...and its answer never arrives


def _client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-send.dynamodb.PutItem", _send_then_lose_answer)
    return client


boto3.session.Session.client = _client  # type: ignore[method-assign]
