"""Deleting a job is safe to retry: when its files could not be removed (S3 unreachable), the job is deleted already
and a repeated DELETE finishes removing them. A real API process with a fault, on the local stack."""

from __future__ import annotations

from pathlib import Path

import httpx

from cli.processes import start_api
from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import png
from harness.jobs import submit, wait_for_job
from tests.support import fault_env, job_outputs


def _upload_stored(clients: AwsClients, stack: LocalStack, job_id: str) -> bool:
    listed = clients.s3.list_objects_v2(Bucket=stack.settings.uploads_bucket, Prefix=f"uploads/{job_id}/")
    return bool(listed.get("KeyCount", 0))


def test_a_delete_whose_files_could_not_be_removed_finishes_when_repeated(
    stack: LocalStack, clients: AwsClients, api: httpx.Client, api_key: str, tmp_path: Path
) -> None:
    job_id = submit(api, png(64, 48), "image/png")
    assert wait_for_job(api, job_id)["status"] == "completed"
    flag = tmp_path / "s3-deletes-fail"
    flag.touch()
    failing = {"service": "s3", "operation": "DeleteObject", "action": "fail", "flag": str(flag)}
    faulty = start_api({**stack.env, **fault_env(failing)})
    try:
        with httpx.Client(base_url=str(faulty.url), headers={"X-API-Key": api_key}, timeout=30) as client:
            first = client.delete(f"/v1/jobs/{job_id}")
            assert first.status_code == 503, first.text
            assert first.json()["error"]["code"] == "dependency_unavailable"
            # The job is deleted already; its files are not removed yet.
            assert api.get(f"/v1/jobs/{job_id}").status_code == 404
            assert _upload_stored(clients, stack, job_id) and job_outputs(clients, stack, job_id)

            flag.unlink()  # S3 is back
            again = client.delete(f"/v1/jobs/{job_id}")
    finally:
        faulty.stop()
    assert again.status_code == 404 and again.json()["error"]["code"] == "job_not_found"
    assert not _upload_stored(clients, stack, job_id)
    assert job_outputs(clients, stack, job_id) == []
