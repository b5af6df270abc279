"""A deleted job stays deleted: the worker never processes its upload, and whatever a worker stores for it after the
deletion is removed. Real worker processes on the short-visibility stack (tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import httpx

from cli.processes import wait_until
from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import png
from harness.jobs import create_job, post_upload, submit
from tests.support import StartWorker, job_item, job_outputs, jobs_queue_settled


def _upload_stored(clients: AwsClients, stack: LocalStack, job_id: str) -> bool:
    listed = clients.s3.list_objects_v2(Bucket=stack.settings.uploads_bucket, Prefix=f"uploads/{job_id}/")
    return bool(listed.get("KeyCount", 0))


def test_a_file_uploaded_after_its_job_was_deleted_is_removed_unprocessed(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, start_worker: StartWorker
) -> None:
    start_worker()
    data = png(64, 48)
    created = create_job(rapi, filename="late.png", content_type="image/png", size=len(data))
    job_id = created["job_id"]
    assert rapi.delete(f"/v1/jobs/{job_id}").status_code == 204
    # The presigned POST is still valid (its window has not ended): the file lands, and its event reaches the worker.
    assert post_upload(created["upload"], data, "image/png").status_code in (200, 201, 204)

    wait_until(lambda: not _upload_stored(rclients, rstack, job_id), timeout=60, what="the late upload to be removed")
    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=60, what="the jobs queue to empty")
    item = job_item(rclients, rstack, job_id)
    assert item["status"] == "deleted" and int(item.get("attempts", 0)) == 0  # never claimed
    assert job_outputs(rclients, rstack, job_id) == []
    assert rapi.get(f"/v1/jobs/{job_id}").status_code == 404


def test_a_job_deleted_while_a_worker_processes_it_leaves_no_outputs(
    rstack: LocalStack, rclients: AwsClients, rapi: httpx.Client, start_worker: StartWorker, tmp_path: Path
) -> None:
    held, go = tmp_path / "held", tmp_path / "go"
    # The worker stops just before it stores the first output: the job is claimed and its file already read.
    start_worker({"service": "s3", "operation": "PutObject", "action": "hold", "held": str(held), "until": str(go)})
    job_id = submit(rapi, png(64, 48), "image/png", filename="in-flight.png")
    wait_until(held.exists, timeout=60, what="the worker to reach its first output")
    assert rapi.get(f"/v1/jobs/{job_id}").json()["status"] == "processing"

    assert rapi.delete(f"/v1/jobs/{job_id}").status_code == 204
    go.touch()  # the worker stores its outputs now, after the deletion removed what existed; its completion fails

    wait_until(lambda: jobs_queue_settled(rclients, rstack), timeout=60, what="the jobs queue to empty")
    assert job_outputs(rclients, rstack, job_id) == []
    assert job_item(rclients, rstack, job_id)["status"] == "deleted"
    assert not _upload_stored(rclients, rstack, job_id)
    assert rapi.get(f"/v1/jobs/{job_id}").status_code == 404
