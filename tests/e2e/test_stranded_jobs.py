"""Leases at the edges: no job is stranded in `processing`, a crash costs one delivery, a failed write is retried.

Real local stack, short visibility (10 s) and budget (3 receives), a sweeper every second; faults are injected
into one worker process at a time through tests/e2e/faults/sitecustomize.py (no project code changes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.processes import Service, wait_until
from cli.stack import LocalStack, start_local_stack
from core.aws import AwsClients
from core.config import Settings
from tests.e2e.test_reliability import _dlq_depth, _imgpipe, _item
from tests.support import SnsInbox, api_client, png, submit, wait_for_job

VISIBILITY = 10
MAX_RECEIVES = 3
FAULTS_DIR = Path(__file__).parent / "faults"

# Fault rules (see faults/sitecustomize.py). The complete write is the only UpdateItem naming "completed"; a claim is
# the only one that adds to `attempts`.
HOLD_COMPLETE = {
    "service": "dynamodb",
    "operation": "UpdateItem",
    "match": '"completed"',
    "action": "delay",
    "seconds": 300,
}
FAIL_COMPLETE = {"service": "dynamodb", "operation": "UpdateItem", "match": '"completed"', "action": "fail"}
STALL_BEFORE_CLAIM = {"action": "stall", "seconds": 3}
FAIL_ALL_BUT_CLAIM = {"service": "dynamodb", "operation": "UpdateItem", "unless": "ADD attempts", "action": "fail"}
NO_KEEPALIVE = {"service": "sqs", "operation": "ChangeMessageVisibility", "action": "fail"}


@pytest.fixture(scope="module")
def sstack() -> Iterator[LocalStack]:
    settings = Settings(
        visibility_timeout_seconds=VISIBILITY,
        max_receive_count=MAX_RECEIVES,
        retry_base_seconds=1,
        sweep_interval_seconds=1,
        sweep_grace_seconds=1,
        analysis_engine="off",
    )
    stack = start_local_stack(settings, workers=0)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def sclients(sstack: LocalStack) -> AwsClients:
    return AwsClients(sstack.settings)


@pytest.fixture(scope="module")
def sinbox(sstack: LocalStack, sclients: AwsClients) -> SnsInbox:
    return SnsInbox(sclients.sqs, sclients.sns, sstack.provisioned.topic_arn)


@pytest.fixture
def sapi(sstack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(sstack) as client:
        yield client


@pytest.fixture
def start(sstack: LocalStack) -> Iterator[Any]:
    """start(*faults, **settings) -> a worker process with those faults; all are stopped after the test."""

    def _start(*faults: dict[str, Any], **overrides: object) -> Service:
        env = {}
        if faults:
            paths = [str(FAULTS_DIR), os.environ.get("PYTHONPATH", "")]
            env = {"PYTHONPATH": os.pathsep.join(p for p in paths if p), "IMGPIPE_TEST_FAULTS": json.dumps(faults)}
        return sstack.add_worker(extra_env=env, **overrides)

    yield _start
    for worker in sstack.workers:
        worker.stop()
    sstack.workers.clear()


def _claimed(clients: AwsClients, stack: LocalStack, job_id: str, attempt: int) -> None:
    def check() -> bool:
        item = _item(clients, stack, job_id)
        return item["status"] == "processing" and int(item["attempts"]) == attempt

    wait_until(check, timeout=60, what=f"attempt {attempt} to claim the job")


def test_a_job_whose_worker_dies_on_every_delivery_ends_failed_and_can_be_redriven(
    sstack: LocalStack, sclients: AwsClients, sapi: httpx.Client, sinbox: SnsInbox, start: Any
) -> None:
    dead = _dlq_depth(sclients, sstack)
    job_id = submit(sapi, png(64, 48), "image/png")
    for attempt in range(1, MAX_RECEIVES + 1):
        doomed = start(HOLD_COMPLETE)  # never records a result: killed with the job in hand
        _claimed(sclients, sstack, job_id, attempt)
        doomed.kill()

    # The message's next receive dead-letters it; nothing will deliver the job again. A healthy worker's sweeper
    # ends it once its lease has been over for longer than any retry delay.
    start()
    job = wait_for_job(sapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    assert job["attempts"] == MAX_RECEIVES  # each crash cost one delivery
    assert [m["attributes"]["status"] for m in sinbox.for_job(job_id)] == ["failed"]
    wait_until(lambda: _dlq_depth(sclients, sstack) == dead + 1, timeout=30, what="the message in the DLQ")

    # An operator can still retry it.
    redriven = _imgpipe(sstack, "dlq", "redrive")
    assert redriven.returncode == 0, redriven.stderr
    wait_until(lambda: sapi.get(f"/v1/jobs/{job_id}").json()["status"] == "completed", timeout=60, what="redrive")
    assert [m["attributes"]["status"] for m in sinbox.for_job(job_id, at_least=2)] == ["failed", "completed"]


def test_a_job_whose_store_fails_on_the_last_delivery_ends_failed(
    sstack: LocalStack, sclients: AwsClients, sapi: httpx.Client, sinbox: SnsInbox, start: Any
) -> None:
    dead = _dlq_depth(sclients, sstack)
    job_id = submit(sapi, png(64, 48), "image/png")
    queue = sstack.provisioned.queue_url
    for _ in range(MAX_RECEIVES - 1):  # spend every delivery but the last
        got = sclients.sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=5)
        assert len(got.get("Messages", [])) == 1
    # The last delivery claims, then DynamoDB fails for it: it can neither complete nor fail the job.
    start(FAIL_ALL_BUT_CLAIM, aws_max_attempts=1)
    wait_until(lambda: _dlq_depth(sclients, sstack) == dead + 1, timeout=60, what="the message in the DLQ")
    assert _item(sclients, sstack, job_id)["status"] == "processing"

    start()  # a healthy worker, whose sweeper can write
    job = wait_for_job(sapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    assert [m["attributes"]["status"] for m in sinbox.for_job(job_id)] == ["failed"]


def test_a_crash_costs_one_delivery(
    sstack: LocalStack, sclients: AwsClients, sapi: httpx.Client, sinbox: SnsInbox, start: Any
) -> None:
    job_id = submit(sapi, png(64, 48), "image/png")
    # The first worker is stalled between receiving the message and claiming the job, then dies before its first
    # keepalive: its lease must still end before the message returns.
    first = start(STALL_BEFORE_CLAIM, NO_KEEPALIVE, HOLD_COMPLETE)
    _claimed(sclients, sstack, job_id, 1)
    first.kill()
    second = start(HOLD_COMPLETE)
    _claimed(sclients, sstack, job_id, 2)
    second.kill()

    # Two crashes spent two of the three deliveries: the third still completes the job.
    start()
    job = wait_for_job(sapi, job_id, timeout=90)
    assert (job["status"], job["attempts"]) == ("completed", 3)
    assert [m["attributes"]["status"] for m in sinbox.for_job(job_id)] == ["completed"]


def test_a_failing_complete_write_spends_the_retry_budget(
    sstack: LocalStack, sclients: AwsClients, sapi: httpx.Client, sinbox: SnsInbox, start: Any
) -> None:
    start(FAIL_COMPLETE, aws_max_attempts=1)
    job_id = submit(sapi, png(64, 48), "image/png")
    job = wait_for_job(sapi, job_id, timeout=90)
    assert (job["status"], job["error"]["code"]) == ("failed", "processing_retries_exhausted")
    # Each failed write released the lease, so every delivery claimed; the last one failed the job itself.
    assert job["attempts"] == MAX_RECEIVES
    assert "failed 3 times" in job["error"]["message"]
    assert [m["attributes"]["status"] for m in sinbox.for_job(job_id)] == ["failed"]
