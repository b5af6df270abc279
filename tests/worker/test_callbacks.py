"""The webhook dispatcher in process (moto's in-process AWS, a recording transport for the receiver): what a receive
it could not handle costs the schedule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from core.aws import AwsClients
from core.config import Settings
from core.jobs import JobErrorInfo
from core.provision import Provisioned, provision
from core.store import JobStore
from core.webhooks.delivery import DeliveryOptions
from tests.support import pending_job
from worker.callbacks import CallbackDispatcher
from worker.stages.publish import publish_outcome

SETTINGS = Settings(aws_endpoint_url=None, aws_max_attempts=1, webhook_retry_schedule_seconds=[10, 60, 600])
BROKEN = "test-callbacks-dynamodb-down"


@pytest.fixture
def aws() -> Iterator[tuple[AwsClients, Provisioned]]:
    with mock_aws():
        clients = AwsClients(SETTINGS)
        yield clients, provision(clients)


def _failed_job_with_callback(store: JobStore) -> str:
    # Owned by the dev key, which provision() seeds: its secret signs the webhook.
    job_id = pending_job(store, callback_url="https://hooks.example.com/imgpipe").job_id
    claimed = store.claim(job_id, etag="e", lease_seconds=60, uploaded_at=None)
    assert claimed is not None
    failed = store.fail(claimed, JobErrorInfo(code="unsupported_format", message="not an image"))
    assert failed is not None
    return job_id


def test_a_receive_the_dispatcher_could_not_handle_spends_no_attempt(aws: tuple[AwsClients, Provisioned]) -> None:
    clients, done = aws
    store = JobStore(clients.dynamodb, SETTINGS.jobs_table, publish_claim_seconds=30)
    job_id = _failed_job_with_callback(store)
    job = store.get(job_id)
    assert job is not None
    publish_outcome(clients.sns, done.topic_arn, job)

    answers: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        answers.append(request)
        return httpx.Response(500)

    options = DeliveryOptions(
        require_https=True,
        allow_private=False,
        resolver=lambda host, port: ["93.184.215.14"],
        transport=httpx.MockTransport(receiver),
    )
    dispatcher = CallbackDispatcher(SETTINGS, clients, store, done.callbacks_queue_url, options=options)

    def receive() -> dict[str, Any]:
        """The message as SQS hands it out, with its receive count (what the dispatcher counted attempts by)."""
        [message] = clients.sqs.receive_message(
            QueueUrl=done.callbacks_queue_url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
        )["Messages"]
        return dict(message)

    def dynamodb_down(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    clients.dynamodb.meta.events.register("before-call.dynamodb.GetItem", dynamodb_down, unique_id=BROKEN)
    try:
        dispatcher._handle_safely(receive())  # the first receive: the job cannot be read
    finally:
        clients.dynamodb.meta.events.unregister("before-call.dynamodb.GetItem", unique_id=BROKEN)
    assert answers == []

    dispatcher.handle(receive())  # the second receive of the same message: the first attempt
    job = store.get(job_id)
    assert job is not None and len(answers) == 1
    [attempt] = job.callbacks
    assert (attempt.attempt, attempt.outcome, attempt.status) == (1, "retrying", 500)
    assert attempt.next_attempt_at is not None
    assert 0 < (attempt.next_attempt_at - attempt.at).total_seconds() == SETTINGS.webhook_retry_schedule_seconds[0]
