"""Leases at the edges: no job is stranded in `processing`, a crash costs one delivery, a failed write is retried.

Real local stack, short visibility (10 s) and budget (3 receives), a sweeper every second; faults are injected
into one worker process at a time through tests/faults/sitecustomize.py (no project code changes).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from cli.processes import wait_until
from cli.stack import LocalStack
from core.aws import AwsClients
from core.config import Settings
from harness.images import png
from harness.jobs import submit, wait_for_job
from harness.queues import SnsInbox
from tests.support import MAX_RECEIVES, StartWorker, dlq_depth, job_item, run_imgpipe, short_visibility_settings

# Fault rules (see tests/faults/sitecustomize.py). The complete write is the only UpdateItem naming "completed"; a
# claim is the only one that adds to `attempts`.
HOLD_COMPLETE = {
    "service": "dynamodb",
    "operation": "UpdateItem",
    "match": '"completed"',
    "action": "delay",
    "seconds": 300,
}
FAIL_COMPLETE = {"service": "dynamodb", "operation": "UpdateItem", "match": '"completed"', "action": "fail"}
STALL_BEFORE_CLAIM = {"action": "stall", "seconds": 3}
STALL_FOREVER = {"action": "stall", "seconds": 300}
FAIL_ALL_BUT_CLAIM = {"service": "dynamodb", "operation": "UpdateItem", "unless": "ADD attempts", "action": "fail"}
NO_KEEPALIVE = {"service": "sqs", "operation": "ChangeMessageVisibility", "action": "fail"}
SNS_DOWN = {"service": "sns", "operation": "Publish", "action": "fail"}


@pytest.fixture(scope="module")
def rstack_settings() -> Settings:
    """The short-visibility stack of tests/e2e/conftest.py, with a sweeper every second."""
    return short_visibility_settings(sweep_interval_seconds=1, sweep_grace_seconds=1)


def _claimed(clients: AwsClients, stack: LocalStack, job_id: str, attempt: int) -> None:
    def check() -> bool:
        item = job_item(clients, stack, job_id)
        return item["status"] == "processing" and int(item["attempts"]) == attempt

    wait_until(check, timeout=60, what=f"attempt {attempt} to claim the job")


def test_a_job_whose_worker_dies_on_every_delivery_ends_failed_and_can_be_redriven(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    dead = dlq_depth(rclients, rstack)
    job_id = submit(rapi, png(64, 48), "image/png")
    for attempt in range(1, MAX_RECEIVES + 1):
        doomed = start_worker(HOLD_COMPLETE)  # never records a result: killed with the job in hand
        _claimed(rclients, rstack, job_id, attempt)
        doomed.kill()

    # The message's next receive dead-letters it; nothing will deliver the job again. A healthy worker's sweeper
    # ends it once its lease has been over for longer than any retry delay.
    start_worker()
    job = wait_for_job(rapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    assert job["attempts"] == MAX_RECEIVES  # each crash cost one delivery
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["failed"]
    wait_until(lambda: dlq_depth(rclients, rstack) == dead + 1, timeout=30, what="the message in the DLQ")

    # An operator can still retry it.
    redriven = run_imgpipe(rstack, "dlq", "redrive")
    assert redriven.returncode == 0, redriven.stderr
    wait_until(lambda: rapi.get(f"/v1/jobs/{job_id}").json()["status"] == "completed", timeout=60, what="redrive")
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id, at_least=2)] == ["failed", "completed"]


def test_a_job_whose_store_fails_on_the_last_delivery_ends_failed(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    dead = dlq_depth(rclients, rstack)
    job_id = submit(rapi, png(64, 48), "image/png")
    queue = rstack.provisioned.queue_url
    for _ in range(MAX_RECEIVES - 1):  # spend every delivery but the last
        got = rclients.sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=5)
        assert len(got.get("Messages", [])) == 1
    # The last delivery claims, then DynamoDB fails for it: it can neither complete nor fail the job.
    start_worker(FAIL_ALL_BUT_CLAIM, aws_max_attempts=1)
    wait_until(lambda: dlq_depth(rclients, rstack) == dead + 1, timeout=60, what="the message in the DLQ")
    assert job_item(rclients, rstack, job_id)["status"] == "processing"

    start_worker()  # a healthy worker, whose sweeper can write
    job = wait_for_job(rapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["failed"]


def test_an_outcome_no_delivery_could_publish_is_published_by_the_sweeper(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    """The job completes, but SNS is down for its worker on every delivery, so the message is dead-lettered with the
    outcome never published; without the sweeper nothing ever would publish it."""
    dead = dlq_depth(rclients, rstack)
    job_id = submit(rapi, png(64, 48), "image/png")
    muted = start_worker(SNS_DOWN)
    wait_until(lambda: dlq_depth(rclients, rstack) == dead + 1, timeout=120, what="the message in the DLQ")
    muted.kill()
    item = job_item(rclients, rstack, job_id)
    assert item["status"] == "completed" and not item.get("notified")

    start_worker()
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id, timeout=90)] == ["completed"]
    wait_until(lambda: job_item(rclients, rstack, job_id).get("notified") is True, timeout=30, what="the record")
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["completed"]  # once


def test_a_crash_costs_one_delivery(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    job_id = submit(rapi, png(64, 48), "image/png")
    # The first worker is stalled between receiving the message and claiming the job, then dies before its first
    # keepalive: its lease must still end before the message returns.
    first = start_worker(STALL_BEFORE_CLAIM, NO_KEEPALIVE, HOLD_COMPLETE)
    _claimed(rclients, rstack, job_id, 1)
    first.kill()
    second = start_worker(HOLD_COMPLETE)
    _claimed(rclients, rstack, job_id, 2)
    second.kill()

    # Two crashes spent two of the three deliveries: the third still completes the job.
    start_worker()
    job = wait_for_job(rapi, job_id, timeout=90)
    assert (job["status"], job["attempts"]) == ("completed", 3)
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["completed"]


def test_a_failing_complete_write_spends_the_retry_budget(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    start_worker(FAIL_COMPLETE, aws_max_attempts=1)
    job_id = submit(rapi, png(64, 48), "image/png")
    job = wait_for_job(rapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    # Each failed write released the lease, so every delivery claimed; the last one failed the job itself.
    assert job["attempts"] == MAX_RECEIVES
    assert "failed 3 times" in job["error"]["message"]
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["failed"]


def test_a_job_whose_worker_dies_before_the_claim_on_every_delivery_ends_failed_and_can_be_redriven(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    """Its file was uploaded, but no delivery reached the claim: the job stayed pending and its message was
    dead-lettered. Once its upload window is over, a sweeper fails it as a job whose retries ran out."""
    dead = dlq_depth(rclients, rstack)
    job_id = submit(rapi, png(64, 48), "image/png")
    queue = rstack.provisioned.queue_url
    for _ in range(MAX_RECEIVES - 1):  # deliveries whose worker died before the claim
        got = rclients.sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=5)
        assert len(got.get("Messages", [])) == 1
    stalled = start_worker(STALL_FOREVER)  # takes the last delivery, then dies before claiming

    def taken() -> bool:
        attrs = rclients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"

    wait_until(taken, timeout=60, what="the last delivery")
    stalled.kill()

    # The upload window closes just after the upload (the API gives 15 minutes).
    item = job_item(rclients, rstack, job_id)
    head = rclients.s3.head_object(Bucket=rstack.settings.uploads_bucket, Key=item["upload_key"])
    closed = head["LastModified"].replace(microsecond=0) + timedelta(seconds=1)
    epoch = {"N": str(int(closed.timestamp()))}
    rclients.dynamodb.update_item(
        TableName=rstack.settings.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET upload_expires_at = :at, upload_deadline = :epoch, lease_until = :epoch",
        ExpressionAttributeValues={":at": {"S": closed.isoformat()}, ":epoch": epoch},
    )

    start_worker()  # its receive dead-letters the message; its sweeper ends the job
    wait_until(lambda: dlq_depth(rclients, rstack) == dead + 1, timeout=60, what="the message in the DLQ")
    # Until then it reads as expired, like any job whose window is over.
    wait_until(lambda: rapi.get(f"/v1/jobs/{job_id}").json()["status"] == "failed", timeout=120, what="the sweep")
    job = rapi.get(f"/v1/jobs/{job_id}").json()
    assert (job["error"]["code"], job["attempts"]) == ("processing_retries_exhausted", 0)
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id)] == ["failed"]

    redriven = run_imgpipe(rstack, "dlq", "redrive")
    assert redriven.returncode == 0, redriven.stderr
    wait_until(lambda: rapi.get(f"/v1/jobs/{job_id}").json()["status"] == "completed", timeout=60, what="redrive")
    assert [m["attributes"]["status"] for m in inbox.for_job(job_id, at_least=2)] == ["failed", "completed"]
