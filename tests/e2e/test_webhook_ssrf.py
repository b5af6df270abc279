"""Webhooks never go to private addresses, on a stack configured as AWS is (private hosts refused), over HTTP:
refused when the job is created, and not sent when a job's callback_url points at one by delivery time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.stack import LocalStack, start_local_stack
from core.aws import AwsClients
from core.config import Settings
from core.store import JobStore
from harness.images import png
from harness.jobs import api_client
from tests.e2e.test_webhooks import callbacks_when
from tests.support import pending_job
from tests.webhooks_support import listener


@pytest.fixture(scope="module")
def strict_stack() -> Iterator[LocalStack]:
    settings = Settings(analysis_engine="off", webhook_allow_private_hosts=False, webhook_retry_schedule_seconds=[1])
    with start_local_stack(settings) as stack:
        yield stack


@pytest.fixture
def api(strict_stack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(strict_stack) as client:
        yield client


def create(api: httpx.Client, callback_url: str) -> httpx.Response:
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10, "callback_url": callback_url}
    return api.post("/v1/jobs", json=body)


@pytest.mark.parametrize(
    ("callback_url", "address"),
    [
        ("http://127.0.0.1:8700/hook", "127.0.0.1"),
        ("http://localhost:8700/hook", "localhost"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254"),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
    ],
)
def test_a_callback_to_a_private_address_is_refused_at_creation(
    api: httpx.Client, callback_url: str, address: str
) -> None:
    response = create(api, callback_url)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "callback_url_not_allowed"
    assert address in error["message"] and "public addresses only" in error["message"]


@pytest.mark.parametrize(
    ("callback_url", "why"),
    [
        ("ftp://example.com/", "the scheme must be http or https"),
        ("https://user:secret@example.com/", "credentials"),
        ("https://no-such-host.invalid/", "does not resolve"),
        ("not a url", "the scheme must be"),
    ],
)
def test_an_unusable_callback_url_is_refused_at_creation(api: httpx.Client, callback_url: str, why: str) -> None:
    response = create(api, callback_url)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_callback_url" and why in error["message"]


def test_a_callback_that_points_at_a_private_address_by_delivery_time_is_not_sent(
    strict_stack: LocalStack, api: httpx.Client, tmp_path: Path
) -> None:
    """As if the name resolved to a public address when the job was created and to this receiver's now (DNS
    rebinding): the job is stored with the callback_url directly, then processed by the stack's worker."""
    clients = AwsClients(strict_stack.settings)
    store = JobStore(clients.dynamodb, strict_stack.settings.jobs_table)
    with listener(tmp_path) as receiver:
        job = pending_job(store)
        clients.dynamodb.update_item(
            TableName=strict_stack.settings.jobs_table,
            Key={"job_id": {"S": job.job_id}},
            UpdateExpression="SET callback_url = :url",
            ExpressionAttributeValues={":url": {"S": receiver.url}},
        )
        # The upload raises the same event a presigned POST does.
        clients.s3.put_object(Bucket=strict_stack.settings.uploads_bucket, Key=job.upload_key, Body=png(40, 30))
        attempts = callbacks_when(api, job.job_id, "gave_up")
        output = receiver.output
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert all(a["status"] is None and "not sent" in a["error"] and "127.0.0.1" in a["error"] for a in attempts)
    assert "POST " not in output, output  # nothing ever reached the receiver
