"""The whole pipeline through real HTTP: API -> presigned POST -> S3 -> EventBridge -> SQS -> worker -> DynamoDB/SNS."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

from cli.processes import wait_until
from cli.stack import LocalStack
from core.aws import AwsClients
from core.keys import upload_key
from harness.images import jpeg, png
from harness.jobs import submit, wait_for_job
from harness.queues import SnsInbox, wait_settled
from tests.support import cut_jpeg, job_item, job_outputs, jpeg_claiming


def test_png_and_jpeg_complete_with_thumbnails(
    api: httpx.Client, stack: LocalStack, clients: AwsClients, sns_inbox: SnsInbox
) -> None:
    jobs = {
        "png": submit(api, png(800, 600), "image/png", "diagram.png"),
        "jpeg": submit(api, jpeg(1600, 1200), "image/jpeg", "photo.jpg"),
    }
    for kind, job_id in jobs.items():
        job = wait_for_job(api, job_id)
        assert job["status"] == "completed", job
        meta = job["result"]["metadata"]
        assert meta["format"] == kind.upper()
        assert (meta["width"], meta["height"]) == ((800, 600) if kind == "png" else (1600, 1200))

        outputs = {o["name"]: o for o in job["result"]["outputs"]}
        assert set(outputs) == {"thumb-1024.jpg", "thumb-512.jpg", "thumb-128.jpg", "processed.webp"}
        assert set(job_outputs(clients, stack, job_id)) == {o["key"] for o in outputs.values()}
        for name, output in outputs.items():
            # Downloaded through the presigned link the API hands out, as a client would.
            data = httpx.get(output["url"], timeout=10).content
            image = Image.open(io.BytesIO(data))
            assert image.size == (output["width"], output["height"])
            assert image.format == ("WEBP" if name.endswith(".webp") else "JPEG")
        assert max(outputs["thumb-512.jpg"]["width"], outputs["thumb-512.jpg"]["height"]) == 512

        messages = sns_inbox.for_job(job_id)
        # The worker marks the job notified just after its publish: wait for the mark, not only for the message.
        wait_until(
            lambda job_id=job_id: job_item(clients, stack, job_id).get("notified") is True,
            timeout=30,
            what="the notified mark",
        )
        assert job_item(clients, stack, job_id)["status"] == "completed"
        assert len(messages) == 1
        assert messages[0]["attributes"]["status"] == "completed"
        assert messages[0]["body"]["outputs"]["thumb-128.jpg"] == outputs["thumb-128.jpg"]["key"]


def test_text_file_named_png_fails_with_unsupported_format(api: httpx.Client, sns_inbox: SnsInbox) -> None:
    job_id = submit(api, b"just some text, not an image\n" * 10, "image/png", "notes.png")
    job = wait_for_job(api, job_id)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "unsupported_format"
    assert job["result"] is None
    [message] = sns_inbox.for_job(job_id)
    assert message["attributes"]["status"] == "failed"
    assert message["body"]["error"]["code"] == "unsupported_format"


def test_truncated_jpeg_fails_with_corrupt_image(api: httpx.Client) -> None:
    data = jpeg(800, 600)
    job = wait_for_job(api, submit(api, data[: len(data) // 2], "image/jpeg"))
    assert (job["status"], job["error"]["code"]) == ("failed", "corrupt_image")


def test_damaged_jpegs_that_libjpeg_only_warns_about_fail_with_corrupt_image(api: httpx.Client) -> None:
    # Both end in a well-formed EOI, so a lenient decoder fills the missing rows with grey and "completes".
    data = jpeg(640, 480)
    damaged = {"cut": cut_jpeg(data, 0.1), "lying-header": jpeg_claiming(data, 10000, 10000)}
    jobs = {name: submit(api, body, "image/jpeg", f"{name}.jpg") for name, body in damaged.items()}
    for name, job_id in jobs.items():
        job = wait_for_job(api, job_id)
        assert (job["status"], job["error"]["code"]) == ("failed", "corrupt_image"), (name, job)
        assert "premature end of data" in job["error"]["message"]
        assert job["result"] is None


def test_object_over_the_limit_fails_before_download(api: httpx.Client, stack: LocalStack, clients: AwsClients) -> None:
    # moto does not enforce the POST policy's content-length-range, so the worker must check the size itself.
    created = api.post("/v1/jobs", json={"filename": "big.png", "content_type": "image/png", "size_bytes": 10})
    job_id = created.json()["job_id"]
    too_big = b"\x89PNG\r\n\x1a\n" + bytes(stack.settings.max_upload_bytes)
    clients.s3.put_object(Bucket=stack.settings.uploads_bucket, Key=upload_key(job_id), Body=too_big)
    job = wait_for_job(api, job_id)
    assert (job["status"], job["error"]["code"]) == ("failed", "image_too_large")


def test_duplicate_events_for_a_finished_job_change_nothing(
    api: httpx.Client, stack: LocalStack, clients: AwsClients, sns_inbox: SnsInbox
) -> None:
    job_id = submit(api, png(300, 200), "image/png")
    before = wait_for_job(api, job_id)
    assert before["status"] == "completed"
    event = {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": stack.settings.uploads_bucket},
            "object": {"key": upload_key(job_id), "size": 1, "etag": "abc"},
        },
    }
    for _ in range(3):
        clients.sqs.send_message(QueueUrl=stack.provisioned.queue_url, MessageBody=json.dumps(event))
    wait_settled(clients.sqs, stack.provisioned.queue_url)
    after = api.get(f"/v1/jobs/{job_id}").json()
    assert after["updated_at"] == before["updated_at"]
    assert after["attempts"] == 1
    assert len(sns_inbox.for_job(job_id)) == 1
