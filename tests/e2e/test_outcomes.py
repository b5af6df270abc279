"""What a job's outcome promises at the edges, each shown against a real local stack: one SNS publish per outcome
when every event is delivered twice, a reused presigned POST after the job finished, an upload after the window.

The stack is the short-visibility one of tests/e2e/conftest.py (as in tests/e2e/test_reliability.py); this module
gets a stack of its own.
"""

from __future__ import annotations

import collections
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cli.processes import wait_until
from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import jpeg, png
from harness.jobs import create_job, post_upload, submit, wait_for_job
from harness.queues import SnsInbox, queue_every_event_twice
from tests.support import StartWorker, dlq_depth, job_item, job_outputs, jobs_queue_settled

JOBS = 20  # at the 19-29 % duplicate rate measured before the fix, P(no duplicate in 20 jobs) < 0.4 %


def test_every_event_delivered_twice_gives_one_publish_per_outcome_with_a_stable_dedup_id(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    job_ids = [submit(rapi, jpeg(320, 240), "image/jpeg") for _ in range(JOBS)]
    queue_every_event_twice(rclients.sqs, rstack.provisioned.queue_url, JOBS)
    start_worker()
    start_worker()
    jobs = {job_id: wait_for_job(rapi, job_id, timeout=120) for job_id in job_ids}
    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=90, what="every copy to settle")
    assert dlq_depth(rclients, rstack) == 0

    assert {job["status"] for job in jobs.values()} == {"completed"}
    messages = {job_id: inbox.for_job(job_id) for job_id in job_ids}
    publishes = collections.Counter(len({m["message_id"] for m in ms}) for ms in messages.values())
    assert publishes == {1: JOBS}, f"jobs by number of distinct publishes: {dict(publishes)}"
    for job_id, job in jobs.items():
        # Subscribers deduplicate on this: the same for every copy of this outcome, whoever published it.
        dedup_ids = {m["attributes"].get("dedup_id") for m in messages[job_id]}
        assert dedup_ids == {f"{job_id}:completed:{job['attempts']}"}


def _sns_down(flag: Path) -> dict[str, Any]:
    """A fault rule (tests/faults/sitecustomize.py): the worker's SNS calls fail like a network failure while `flag`
    exists."""
    return {"service": "sns", "action": "fail", "flag": str(flag)}


def test_an_outcome_whose_publish_failed_after_the_write_is_published_once_later(
    rstack: LocalStack,
    rclients: AwsClients,
    rapi: httpx.Client,
    inbox: SnsInbox,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    flag, log_path = tmp_path / "sns-down", tmp_path / "worker.log"
    flag.touch()
    start_worker(_sns_down(flag), log_path=log_path)
    job_id = submit(rapi, png(120, 90), "image/png")

    def publish_failed() -> bool:
        return any("processing failed" in line["msg"] for line in _log_lines(log_path))

    # The job is completed, but its writer could not publish: the write's publish reservation is still held.
    wait_until(publish_failed, timeout=60, what="the finisher's publish to fail")
    item = job_item(rclients, rstack, job_id)
    assert (item["status"], item.get("notified", False)) == ("completed", False)
    flag.unlink()  # SNS is back before the reservation runs out

    [outcome] = inbox.for_job(job_id, timeout=60)
    assert outcome["attributes"]["dedup_id"] == f"{job_id}:completed:1"
    assert any("did not publish" in line["msg"] for line in _log_lines(log_path))  # taken over, not retried
    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=30, what="the message to be settled")
    assert len(inbox.for_job(job_id)) == 1
    assert dlq_depth(rclients, rstack) == 0


def _log_lines(path: Path) -> list[dict[str, Any]]:
    """The worker's JSON log lines (anything else it printed, e.g. a traceback, is skipped)."""
    parsed = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "msg" in record:
            parsed.append(record)
    return parsed


def test_a_presigned_post_reused_after_the_job_finished_is_ignored_and_logged(
    rstack: LocalStack,
    rclients: AwsClients,
    rapi: httpx.Client,
    inbox: SnsInbox,
    start_worker: StartWorker,
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "worker.log"
    start_worker(log_path=log_path)
    first = png(200, 100)
    created = create_job(rapi, filename="a.png", content_type="image/png", size=len(first))
    job_id = created["job_id"]
    assert post_upload(created["upload"], first, "image/png").status_code in (200, 201, 204)
    done = wait_for_job(rapi, job_id)
    assert done["status"] == "completed"
    [outcome] = inbox.for_job(job_id)
    source_etag = job_item(rclients, rstack, job_id)["source_etag"]

    # Same policy, other bytes (moto does not refuse it; AWS would until the policy expires).
    second = png(300, 150)
    assert post_upload(created["upload"], second, "image/png").status_code in (200, 201, 204)

    def ignored() -> bool:
        return any(line.get("job_id") == job_id and "etag differs" in line["msg"] for line in _log_lines(log_path))

    wait_until(ignored, timeout=60, what="the worker to log that it ignored the replaced upload")
    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=30, what="the second event to be settled")
    after = rapi.get(f"/v1/jobs/{job_id}").json()
    assert after["status"] == "completed"
    assert (after["attempts"], after["updated_at"]) == (done["attempts"], done["updated_at"])
    assert after["result"]["metadata"] == done["result"]["metadata"]  # still the first file's result
    assert (after["result"]["metadata"]["width"], after["result"]["metadata"]["bytes"]) == (200, len(first))
    assert job_item(rclients, rstack, job_id)["source_etag"] == source_etag
    assert [m["message_id"] for m in inbox.for_job(job_id)] == [outcome["message_id"]]


def test_an_upload_after_the_window_is_never_processed_and_the_job_fails_upload_expired(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, inbox: SnsInbox, start_worker: StartWorker
) -> None:
    start_worker()
    data = jpeg(320, 240)
    created = create_job(rapi, filename="late.jpg", content_type="image/jpeg", size=len(data))
    job_id = created["job_id"]
    # The window closes (moto ignores the policy's expiry, so the upload below is still accepted, as it would
    # be from a client racing the deadline).
    closed = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    rclients.dynamodb.update_item(
        TableName=rstack.settings.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET upload_expires_at = :at, upload_deadline = :epoch",
        ExpressionAttributeValues={":at": {"S": closed.isoformat()}, ":epoch": {"N": str(int(closed.timestamp()))}},
    )
    assert rapi.get(f"/v1/jobs/{job_id}").json()["status"] == "expired"

    assert post_upload(created["upload"], data, "image/jpeg").status_code in (200, 201, 204)
    [outcome] = inbox.for_job(job_id)
    assert outcome["attributes"]["status"] == "failed"
    assert outcome["body"]["error"]["code"] == "upload_expired"
    job = rapi.get(f"/v1/jobs/{job_id}").json()
    assert (job["status"], job["error"]["code"], job["attempts"], job["result"]) == (
        "failed",
        "upload_expired",
        0,
        None,
    )
    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=30, what="the late event to be settled")
    assert job_outputs(rclients, rstack, job_id) == []
    assert dlq_depth(rclients, rstack) == 0
