"""The Rekognition engine inside the whole pipeline: moto's canned DetectText/DetectLabels answer through a real
worker process, and the refused-image and throttling paths through the job processor (Stubber on Rekognition, moto
for S3 and DynamoDB)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from botocore.stub import ANY, Stubber

from cli.stack import LocalStack, start_local_stack
from core.aws import AwsClients
from core.config import Settings
from core.jobs import JobStatus
from core.keys import upload_key
from core.store import JobStore
from harness.images import heic, png
from harness.jobs import api_client, submit, wait_for_job
from tests.rekognition_responses import DETECT_FACES, DETECT_LABELS, DETECT_TEXT
from tests.support import job_outputs
from worker.delivery import Delivery
from worker.events import UploadEvent
from worker.pipeline import JobProcessor


@pytest.fixture(scope="module")
def rek_stack() -> Iterator[LocalStack]:
    with start_local_stack(Settings(analysis_engine="rekognition", retry_base_seconds=1), workers=0) as stack:
        yield stack


@pytest.fixture
def rek_api(rek_stack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(rek_stack) as client:
        yield client


def test_moto_canned_answer_through_a_worker(rek_stack: LocalStack, rek_api: httpx.Client) -> None:
    worker = rek_stack.add_worker()
    try:
        job = wait_for_job(rek_api, submit(rek_api, png(400, 300), "image/png", "phone.png"))
        # Rekognition cannot read HEIC: it gets a JPEG of the upright picture instead of the S3 object.
        from_heic = wait_for_job(rek_api, submit(rek_api, heic(400, 300, orientation=6), "image/heic", "IMG_1.HEIC"))
    finally:
        worker.stop()
        rek_stack.workers.remove(worker)
    assert job["status"] == "completed", job
    analysis = job["result"]["analysis"]
    assert analysis["engine"] == "rekognition" and analysis["image_sent"] == "s3_object"
    assert analysis["full_text"].startswith("IT'S\nMONDAY")
    assert [w["text"] for w in analysis["words"]][:2] == ["IT'S", "MONDAY"]
    phone = next(label for label in analysis["labels"] if label["name"] == "Mobile Phone")
    assert phone["parents"] == ["Phone"] and phone["instances"]
    assert analysis["labels_note"] is None
    assert from_heic["status"] == "completed", from_heic
    assert from_heic["result"]["analysis"]["image_sent"] == "bytes"


def _processor(stack: LocalStack) -> tuple[JobProcessor, AwsClients, Stubber]:
    clients = AwsClients(stack.settings)
    stubber = Stubber(clients.rekognition)
    return JobProcessor(clients, JobStore(clients.dynamodb, stack.settings.jobs_table), "arn:none"), clients, stubber


def _uploaded_job(api: httpx.Client, stack: LocalStack, clients: AwsClients) -> tuple[str, UploadEvent]:
    """A job whose upload is in S3 (no worker runs in this stack: the processor below handles its event)."""
    job_id = submit(api, png(320, 240), "image/png")
    key = upload_key(job_id)
    head = clients.s3.head_object(Bucket=stack.settings.uploads_bucket, Key=key)
    return job_id, UploadEvent(stack.settings.uploads_bucket, key, head["ETag"])


@pytest.mark.parametrize("code", ["InvalidImageFormatException", "ImageTooLargeException"])
def test_an_image_rekognition_refuses_fails_the_job_with_its_code(
    rek_stack: LocalStack, rek_api: httpx.Client, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, clients, stubber = _processor(rek_stack)
    monkeypatch.setattr(processor, "notify", lambda job: None)  # no topic in this test: SNS is not the subject
    job_id, event = _uploaded_job(rek_api, rek_stack, clients)
    stubber.add_client_error("detect_text", service_error_code=code, service_message="refused", http_status_code=400)
    with stubber:
        disposition = processor.handle(event, Delivery())

    assert disposition.delete  # permanent: nothing to redeliver
    job = rek_api.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "analysis_invalid_image" and code in job["error"]["message"]
    assert job_outputs(clients, rek_stack, job_id) == []  # analysis runs before the outputs are stored


def test_throttling_after_retries_leaves_the_message_for_redelivery(
    rek_stack: LocalStack, rek_api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    processor, clients, stubber = _processor(rek_stack)
    monkeypatch.setattr(processor, "notify", lambda job: None)
    job_id, event = _uploaded_job(rek_api, rek_stack, clients)
    # What is left once botocore's standard retry mode has spent its attempts.
    stubber.add_client_error("detect_text", service_error_code="ThrottlingException", http_status_code=400)
    with stubber:
        first = processor.handle(event, Delivery(receive_count=1))
    assert not first.delete and first.retry_after >= 1
    job = JobStore(clients.dynamodb, rek_stack.settings.jobs_table).get(job_id)
    assert job is not None and job.status is JobStatus.PROCESSING and job.error is None
    assert job.lease_until is not None and job.lease_until < time.time()  # released: the retry can claim at once

    # The redelivered message completes the job once Rekognition answers.
    stubber.add_response("detect_text", DETECT_TEXT, {"Image": ANY, "Filters": ANY})
    stubber.add_response(
        "detect_labels",
        DETECT_LABELS,
        {"Image": ANY, "MaxLabels": ANY, "MinConfidence": ANY, "Features": ANY, "Settings": ANY},
    )
    with stubber:
        second = processor.handle(event, Delivery(receive_count=2))
    assert second.delete
    done = rek_api.get(f"/v1/jobs/{job_id}").json()
    assert done["status"] == "completed" and done["attempts"] == 2
    assert done["result"]["analysis"]["full_text"] == "Hello world\nSecond"
    assert done["result"]["analysis"]["properties"]["source"] == "rekognition"


def test_exhausted_retries_count_as_a_failed_job_with_their_code(
    rek_stack: LocalStack, rek_api: httpx.Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The jobs-failed-processing_retries_exhausted alarm (docs/operations.md) watches Jobs{Status, ErrorCode}: the
    last delivery's failure must be counted there like any other failed job."""
    processor, clients, stubber = _processor(rek_stack)
    monkeypatch.setattr(processor, "notify", lambda job: None)
    job_id, event = _uploaded_job(rek_api, rek_stack, clients)
    stubber.add_client_error("detect_text", service_error_code="ThrottlingException", http_status_code=400)
    capsys.readouterr()
    with stubber:
        processor.handle(event, Delivery(receive_count=rek_stack.settings.max_receive_count))

    assert rek_api.get(f"/v1/jobs/{job_id}").json()["error"]["code"] == "processing_retries_exhausted"
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    counted = [(m["Status"], m["ErrorCode"], m["Jobs"]) for m in emitted]
    assert counted == [("failed", "processing_retries_exhausted", 1)]
    assert emitted[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Status"], ["Status", "ErrorCode"]]


def test_a_crop_around_faces_uses_the_faces_rekognition_found_once(
    rek_stack: LocalStack, rek_api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gravity=faces in AWS: the job's analysis (here faces alone) runs once, before that crop, and the crop is
    placed on the faces found (no fallback note); a second DetectFaces call would find no stubbed answer."""
    processor, clients, stubber = _processor(rek_stack)
    monkeypatch.setattr(processor, "notify", lambda job: None)
    outputs = [{"name": "face.png", "width": 100, "height": 100, "fit": "cover", "format": "png", "gravity": "faces"}]
    job_id = submit(rek_api, png(640, 240), "image/png", outputs=outputs, analysis=["faces"])
    key = upload_key(job_id)
    etag = clients.s3.head_object(Bucket=rek_stack.settings.uploads_bucket, Key=key)["ETag"]
    stubber.add_response("detect_faces", DETECT_FACES, {"Image": ANY, "Attributes": ["DEFAULT"]})
    with stubber:
        assert processor.handle(UploadEvent(rek_stack.settings.uploads_bucket, key, etag), Delivery()).delete
    stubber.assert_no_pending_responses()
    job = rek_api.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "completed", job
    [output] = job["result"]["outputs"]
    assert (output["width"], output["height"], output["crop_note"]) == (100, 100, None)
    faces = job["result"]["analysis"]["faces"]
    assert faces["available"] and len(faces["faces"]) == len(DETECT_FACES["FaceDetails"])
