"""Webhooks on a local stack, over HTTP: a job's outcome is POSTed to its callback_url, signed, verified by the
README's snippet, retried while the receiver fails and given up after the schedule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.processes import wait_until
from cli.stack import LocalStack, start_local_stack
from core.api_keys import LOCAL_DEV_SIGNING_SECRET, ApiKeyStore
from core.aws import AwsClients
from core.config import Settings
from core.store import JobStore
from core.webhooks.signature import SignatureError, sign, verify
from harness.images import png
from harness.jobs import api_client, create_job, post_upload, wait_for_job
from harness.queues import queue_settled
from tests.webhooks_support import Capture, listener, readme_verify_snippet

SCHEDULE = [1, 2]  # seconds: retries come within a test


@pytest.fixture(scope="module")
def hooks_stack() -> Iterator[LocalStack]:
    with start_local_stack(Settings(analysis_engine="off", webhook_retry_schedule_seconds=SCHEDULE)) as stack:
        yield stack


@pytest.fixture
def api(hooks_stack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(hooks_stack) as client:
        yield client


def submit_with_callback(api: httpx.Client, callback_url: str, data: bytes | None = None) -> str:
    data = data or png(64, 48)
    response = api.post(
        "/v1/jobs",
        json={"filename": "a.png", "content_type": "image/png", "size_bytes": len(data), "callback_url": callback_url},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert post_upload(created["upload"], data, "image/png").status_code in (200, 201, 204)
    return str(created["job_id"])


def callbacks_when(api: httpx.Client, job_id: str, outcome: str, timeout: float = 60) -> list[dict[str, Any]]:
    """The job's callbacks once the last one has `outcome`."""
    seen: list[dict[str, Any]] = []

    def reached() -> bool:
        seen[:] = api.get(f"/v1/jobs/{job_id}").json()["callbacks"]
        return bool(seen) and seen[-1]["outcome"] == outcome

    wait_until(reached, timeout=timeout, what=f"a {outcome} webhook attempt (seen: {seen})")
    return seen


def test_the_ended_job_is_posted_signed_and_the_readme_snippet_verifies_it(api: httpx.Client) -> None:
    capture = Capture()
    try:
        job_id = submit_with_callback(api, capture.url)
        job = wait_for_job(api, job_id)
        assert job["status"] == "completed" and job["callback_url"] == capture.url
        (attempt,) = callbacks_when(api, job_id, "delivered")
        assert (attempt["attempt"], attempt["status"], attempt["error"]) == (1, 200, None)
        assert attempt["event"] == f"{job_id}:completed:1"
        (delivery,) = capture.deliveries
    finally:
        capture.close()

    # The body is the job view, as GET shows it (links presigned again, callbacks recorded since).
    sent = json.loads(delivery.body)
    shown = api.get(f"/v1/jobs/{job_id}").json()
    assert sent.keys() == shown.keys()
    assert {k: v for k, v in sent.items() if k not in ("result", "callbacks")} == {
        k: v for k, v in shown.items() if k not in ("result", "callbacks")
    }
    assert sent["result"]["metadata"] == shown["result"]["metadata"]
    assert [o["url"].split("?")[0] for o in sent["result"]["outputs"]] == [
        o["url"].split("?")[0] for o in shown["result"]["outputs"]
    ]
    assert httpx.get(sent["result"]["outputs"][0]["url"]).status_code == 200  # the links work
    assert delivery.headers["Imgpipe-Event-Id"] == attempt["event"]
    assert delivery.headers["Content-Type"] == "application/json"

    # The README's snippet, run as a client would run it, on the raw delivery.
    namespace: dict[str, Any] = {}
    exec(compile(readme_verify_snippet(), "README.md", "exec"), namespace)
    verify = namespace["verify_imgpipe_signature"]
    header = delivery.headers["Imgpipe-Signature"]
    assert verify(LOCAL_DEV_SIGNING_SECRET, delivery.body, header) is True
    assert verify(LOCAL_DEV_SIGNING_SECRET, delivery.body + b" ", header) is False  # tampered
    assert verify("whsec_someone-else", delivery.body, header) is False
    replayed = sign(LOCAL_DEV_SIGNING_SECRET, delivery.body, timestamp=int(header.split(",")[0][2:]) - 301)
    assert verify(LOCAL_DEV_SIGNING_SECRET, delivery.body, replayed) is False  # outside the window


def test_a_failing_receiver_gets_the_webhook_again_until_it_answers(api: httpx.Client, tmp_path: Path) -> None:
    with listener(tmp_path, "--fail", "1") as receiver:
        job_id = submit_with_callback(api, receiver.url)
        attempts = callbacks_when(api, job_id, "delivered")
        lines = receiver.lines()
    tries = [(a["attempt"], a["status"], a["outcome"]) for a in attempts]
    assert tries == [(1, 500, "retrying"), (2, 200, "delivered")]
    assert attempts[0]["next_attempt_at"] is not None and attempts[0]["error"] == "the receiver answered 500"
    assert len({a["event"] for a in attempts}) == 1  # one outcome, delivered twice
    assert len(lines) == 2, receiver.output
    assert all(f"job {job_id} completed" in line and "signature verified" in line for line in lines), lines
    assert lines[0].endswith("answered 500") and lines[1].endswith("answered 200")


def test_a_receiver_that_keeps_failing_is_given_up_after_the_schedule(api: httpx.Client, tmp_path: Path) -> None:
    with listener(tmp_path, "--fail", "100") as receiver:
        job_id = submit_with_callback(api, receiver.url)
        attempts = callbacks_when(api, job_id, "gave_up")
        lines = receiver.lines()
    # One attempt, then one per wait of the schedule; the last one gives up.
    assert [(a["attempt"], a["status"], a["outcome"]) for a in attempts] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 500, "gave_up"),
    ]
    assert attempts[-1]["next_attempt_at"] is None
    assert len(lines) == 3, receiver.output


def test_a_receiver_with_another_secret_sees_the_signature_fail(api: httpx.Client, tmp_path: Path) -> None:
    with listener(tmp_path, "--secret", "whsec_not-the-keys") as receiver:
        job_id = submit_with_callback(api, receiver.url)
        callbacks_when(api, job_id, "delivered")
        lines = receiver.lines()
    assert len(lines) == 1 and "signature NOT verified: no signature matches" in lines[0], receiver.output


def test_a_failed_job_is_posted_too(api: httpx.Client) -> None:
    capture = Capture()
    try:
        job_id = submit_with_callback(api, capture.url, data=b"not an image at all")
        callbacks_when(api, job_id, "delivered")
        (delivery,) = capture.deliveries
    finally:
        capture.close()
    sent = json.loads(delivery.body)
    assert (sent["status"], sent["error"]["code"]) == ("failed", "unsupported_format")


def test_jobs_without_a_callback_url_have_no_callbacks(api: httpx.Client) -> None:
    created = create_job(api, filename="a.png", content_type="image/png", size=10)
    shown = api.get(f"/v1/jobs/{created['job_id']}").json()
    assert (shown["callback_url"], shown["callbacks"]) == (None, [])


def test_each_key_s_jobs_are_signed_with_that_key_s_secret(hooks_stack: LocalStack, tmp_path: Path) -> None:
    clients = AwsClients(hooks_stack.settings)
    key, token = ApiKeyStore(clients.dynamodb, hooks_stack.settings.api_keys_table).create("acme", rate_per_minute=600)
    capture = Capture()
    try:
        with api_client(hooks_stack) as client:
            client.headers["X-API-Key"] = token
            job_id = submit_with_callback(client, capture.url)
            callbacks_when(client, job_id, "delivered")
        (delivery,) = capture.deliveries
    finally:
        capture.close()
    header = delivery.headers["Imgpipe-Signature"]
    verify(key.signing_secret.get_secret_value(), delivery.body, header)
    with pytest.raises(SignatureError):
        verify(LOCAL_DEV_SIGNING_SECRET, delivery.body, header)


def test_a_revoked_key_s_jobs_send_no_webhook(hooks_stack: LocalStack) -> None:
    clients = AwsClients(hooks_stack.settings)
    keys = ApiKeyStore(clients.dynamodb, hooks_stack.settings.api_keys_table)
    key, token = keys.create("leaving", rate_per_minute=600)
    store = JobStore(clients.dynamodb, hooks_stack.settings.jobs_table)
    capture = Capture()
    try:
        with api_client(hooks_stack) as client:
            client.headers["X-API-Key"] = token
            created = client.post(
                "/v1/jobs",
                json={"filename": "a.png", "content_type": "image/png", "size_bytes": 10, "callback_url": capture.url},
            )
            assert created.status_code == 201, created.text
        job_id = created.json()["job_id"]
        keys.revoke(key.key_id)
        stored = store.get(job_id)
        assert stored is not None
        clients.s3.put_object(Bucket=hooks_stack.settings.uploads_bucket, Key=stored.upload_key, Body=png(20, 20))

        def given_up() -> bool:
            job = store.get(job_id)
            return job is not None and bool(job.callbacks) and job.callbacks[-1].outcome == "gave_up"

        wait_until(given_up, timeout=60, what="the revoked key's webhook to be given up")
        assert capture.deliveries == []
    finally:
        capture.close()
    job = store.get(job_id)
    assert job is not None and "revoked" in (job.callbacks[-1].error or "")


def test_an_outcome_published_twice_is_delivered_once(hooks_stack: LocalStack, api: httpx.Client) -> None:
    clients = AwsClients(hooks_stack.settings)
    capture = Capture()
    try:
        job_id = submit_with_callback(api, capture.url)
        callbacks_when(api, job_id, "delivered")
        # What a second publish of the outcome (SNS delivers at least once; the sweeper may publish it) brings.
        queue_url = hooks_stack.provisioned.callbacks_queue_url
        clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"job_id": job_id, "status": "completed"}))
        wait_until(lambda: queue_settled(clients.sqs, queue_url), timeout=60, what="the duplicate to be handled")
        assert len(capture.deliveries) == 1
    finally:
        capture.close()
    assert len(api.get(f"/v1/jobs/{job_id}").json()["callbacks"]) == 1
