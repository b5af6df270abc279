"""The pipeline in-process, on moto's in-process mock of S3, DynamoDB and SNS: what it tells the consumer to do with a
message, and the job lease it keeps. The same through worker processes: tests/e2e/test_reliability.py."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from core.aws import AwsClients
from core.config import Settings
from core.jobs import RETRIES_EXHAUSTED, Job, JobStatus
from core.keys import upload_key
from core.provision import provision
from core.recipes import Fit, OutputFormat, Rendition
from core.store import JobStore
from harness.images import png
from harness.queues import SnsInbox
from tests.support import pending_job
from worker.delivery import DONE, LEASE_MARGIN_SECONDS, Delivery, Disposition
from worker.events import UploadEvent
from worker.pipeline import JobProcessor
from worker.stages import renditions

VISIBILITY = 30
MAX_RECEIVES = 3


@dataclass
class Pipeline:
    processor: JobProcessor
    store: JobStore
    clients: AwsClients
    outcomes: SnsInbox

    def upload(self, recipe: list[Rendition] | None = None, callback_url: str | None = None) -> tuple[Job, UploadEvent]:
        """A job (asking for `recipe`) whose file is in the uploads bucket, and the event S3 sends for it."""
        job = pending_job(self.store, recipe=recipe, callback_url=callback_url)
        bucket = self.clients.settings.uploads_bucket
        put = self.clients.s3.put_object(Bucket=bucket, Key=job.upload_key, Body=png(64, 48))
        return job, UploadEvent(bucket, job.upload_key, put["ETag"].strip('"'))

    def job(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        assert job is not None
        return job

    def break_output_uploads(self) -> None:
        """Every PutObject fails as an unreachable endpoint would, after botocore's retries (here one attempt)."""

        def unreachable(**_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")

        self.clients.s3.meta.events.register("before-call.s3.PutObject", unreachable, unique_id=BROKEN)


BROKEN = "test-pipeline-unreachable"


SETTINGS = Settings(
    aws_endpoint_url=None,
    aws_max_attempts=1,
    analysis_engine="off",
    visibility_timeout_seconds=VISIBILITY,
    max_receive_count=MAX_RECEIVES,
    retry_base_seconds=2,
)


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[AwsClients, str]]:
    """One in-process AWS for the module (each test has jobs of its own): clients for it, and its outcome topic."""
    with mock_aws():
        clients = AwsClients(SETTINGS)
        yield clients, provision(clients).topic_arn


@pytest.fixture
def pipeline(aws: tuple[AwsClients, str]) -> Iterator[Pipeline]:
    clients, topic_arn = aws
    store = JobStore(clients.dynamodb, SETTINGS.jobs_table, publish_claim_seconds=VISIBILITY)
    processor = JobProcessor(clients, store, topic_arn)
    try:
        yield Pipeline(processor, store, clients, SnsInbox(clients.sqs, clients.sns, topic_arn))
    finally:
        processor.close()
        clients.s3.meta.events.unregister("before-call.s3.PutObject", unique_id=BROKEN)


def test_a_claimed_job_completes_and_its_message_is_done(pipeline: Pipeline) -> None:
    job, event = pipeline.upload()
    assert pipeline.processor.handle(event, Delivery()) == DONE
    finished = pipeline.job(job.job_id)
    assert finished.status is JobStatus.COMPLETED and finished.notified
    [message] = pipeline.outcomes.for_job(job.job_id)
    assert message["body"]["status"] == "completed"


def test_the_slot_is_given_back_after_the_image_work_before_the_round_trips(pipeline: Pipeline) -> None:
    """The consumer's slot goes to the next job once the image work is done: nothing stored or recorded yet at that
    moment, everything after it."""
    job, event = pipeline.upload()
    seen: list[tuple[JobStatus, list[str]]] = []
    delivery = Delivery(
        release_slot=lambda: seen.append((pipeline.job(job.job_id).status, _stored_outputs(pipeline, job.job_id)))
    )
    assert pipeline.processor.handle(event, delivery) == DONE
    assert seen == [(JobStatus.PROCESSING, [])]
    assert pipeline.job(job.job_id).status is JobStatus.COMPLETED and _stored_outputs(pipeline, job.job_id)


def test_the_slot_is_taken_once_the_job_is_claimed_and_its_upload_read(pipeline: Pipeline) -> None:
    """The image work waits for a slot; the claim and the read of the upload happen before, without one."""
    job, event = pipeline.upload()
    seen: list[JobStatus] = []

    def take_slot() -> bool:
        seen.append(pipeline.job(job.job_id).status)
        return True

    assert pipeline.processor.handle(event, Delivery(take_slot=take_slot)) == DONE
    assert seen == [JobStatus.PROCESSING]


def test_a_worker_stopping_before_a_slot_frees_gives_the_job_back_at_once(pipeline: Pipeline) -> None:
    """Claimed and read, the job waits for a slot when the worker begins stopping: nothing is stored, its lease is
    released and its message returns now, so that another worker claims it at once."""
    job, event = pipeline.upload()

    disposition = pipeline.processor.handle(event, Delivery(take_slot=lambda: False))

    assert disposition == Disposition(delete=False, retry_after=0)
    after = pipeline.job(job.job_id)
    assert (after.status, after.attempts, after.notified) == (JobStatus.PROCESSING, 1, False)
    assert after.lease_until is not None and after.lease_until < time.time()
    assert not _stored_outputs(pipeline, job.job_id)


def test_a_file_replaced_after_its_event_is_processed_by_the_newer_files_event(pipeline: Pipeline) -> None:
    """The presigned POST used twice before the job ran: the first event must not finish the job from the second
    file's bytes while recording the first file's ETag; the second file's own event processes the job."""
    job, first = pipeline.upload()
    bucket = pipeline.clients.settings.uploads_bucket
    put = pipeline.clients.s3.put_object(Bucket=bucket, Key=job.upload_key, Body=png(48, 64))
    second = UploadEvent(bucket, job.upload_key, put["ETag"].strip('"'))

    assert pipeline.processor.handle(first, Delivery()) == DONE
    assert pipeline.job(job.job_id).status is JobStatus.PROCESSING
    assert pipeline.outcomes.for_job(job.job_id, at_least=0) == []

    assert pipeline.processor.handle(second, Delivery()) == DONE
    finished = pipeline.job(job.job_id)
    assert finished.status is JobStatus.COMPLETED and finished.source_etag == second.etag
    assert finished.result is not None and (finished.result.metadata.width, finished.result.metadata.height) == (48, 64)
    assert len(pipeline.outcomes.for_job(job.job_id)) == 1


def test_only_outcomes_with_a_webhook_reach_the_webhooks_queue(aws: tuple[AwsClients, str], pipeline: Pipeline) -> None:
    """The dispatcher is not woken for the many jobs without a callback_url (the subscription's filter policy)."""
    clients, _ = aws
    url = clients.queue_url(SETTINGS.callbacks_queue_name)
    plain, plain_event = pipeline.upload()
    hooked, hooked_event = pipeline.upload(callback_url="https://hooks.example.com/imgpipe")
    assert pipeline.processor.handle(plain_event, Delivery()) == DONE
    assert pipeline.processor.handle(hooked_event, Delivery()) == DONE
    pipeline.outcomes.for_job(plain.job_id)  # both published to the topic
    pipeline.outcomes.for_job(hooked.job_id)
    received = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    bodies = [json.loads(m["Body"]) for m in received.get("Messages", [])]
    assert [(b["job_id"], b["status"]) for b in bodies] == [(hooked.job_id, "completed")]


def test_an_outcome_without_the_webhook_attribute_still_reaches_the_webhooks_queue(
    aws: tuple[AwsClients, str], pipeline: Pipeline
) -> None:
    """During a rollout, workers from before `has_callback` publish outcomes without it: the filter must let those
    through (the dispatcher reads the job), or their webhooks would never be sent."""
    clients, topic_arn = aws
    url = clients.queue_url(SETTINGS.callbacks_queue_name)
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    for job_id, attributes in ((old, {}), (new, {"has_callback": "false"})):
        clients.sns.publish(
            TopicArn=topic_arn,
            Message=json.dumps({"job_id": job_id, "status": "completed"}),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in {"status": "completed", **attributes}.items()
            },
        )
    received = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    job_ids = {json.loads(m["Body"])["job_id"] for m in received.get("Messages", [])}
    assert old in job_ids and new not in job_ids


def test_an_upload_for_a_job_that_does_not_exist_is_removed(pipeline: Pipeline) -> None:
    """A late upload after the job's record (or a deleted job's tombstone) expired: nobody can reach the file, so it
    must not wait for the bucket's lifecycle rule."""
    bucket = pipeline.clients.settings.uploads_bucket
    key = upload_key(str(uuid.uuid4()))
    put = pipeline.clients.s3.put_object(Bucket=bucket, Key=key, Body=png(8, 8))
    assert pipeline.processor.handle(UploadEvent(bucket, key, put["ETag"].strip('"')), Delivery()) == DONE
    assert pipeline.clients.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount") == 0


def _stored_outputs(pipeline: Pipeline, job_id: str) -> list[str]:
    listed = pipeline.clients.s3.list_objects_v2(Bucket=SETTINGS.outputs_bucket, Prefix=f"processed/{job_id}/")
    return sorted(o["Key"].rsplit("/", 1)[1] for o in listed.get("Contents", []))


def test_a_job_renders_the_recipe_stored_with_it(pipeline: Pipeline) -> None:
    recipe = [Rendition(name="sq.png", width=16, height=16, fit=Fit.COVER, format=OutputFormat.PNG)]
    job, event = pipeline.upload(recipe)
    assert pipeline.processor.handle(event, Delivery()) == DONE
    finished = pipeline.job(job.job_id)
    assert finished.status is JobStatus.COMPLETED and finished.result is not None
    assert [(o.name, o.width, o.height) for o in finished.result.outputs] == [("sq.png", 16, 16)]
    assert _stored_outputs(pipeline, job.job_id) == ["sq.png"]


def test_a_rendition_that_fails_fails_the_job_with_no_outputs(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = renditions.encode_rendition

    def refusing(image: Any, rendition: Rendition) -> bytes:
        if rendition.format is OutputFormat.AVIF:
            raise OSError("encoder error")
        return real(image, rendition)

    monkeypatch.setattr(renditions, "encode_rendition", refusing)
    recipe = [
        Rendition(name="ok.jpg", width=32, format=OutputFormat.JPEG),
        Rendition(name="bad.avif", width=16, format=OutputFormat.AVIF),
    ]
    job, event = pipeline.upload(recipe)
    assert pipeline.processor.handle(event, Delivery()) == DONE  # final: not retried
    failed = pipeline.job(job.job_id)
    assert failed.status is JobStatus.FAILED and failed.error is not None and failed.result is None
    assert failed.error.code == "rendition_failed" and "'bad.avif'" in failed.error.message
    assert _stored_outputs(pipeline, job.job_id) == []  # not even the output that could be made
    [message] = pipeline.outcomes.for_job(job.job_id)
    assert message["body"]["error"]["code"] == "rendition_failed"


def test_a_job_held_by_another_attempt_is_retried_when_its_lease_ends_not_dropped(pipeline: Pipeline) -> None:
    job, event = pipeline.upload()
    held = pipeline.store.claim(job.job_id, etag=event.etag, lease_seconds=20)  # another worker's live lease
    assert held is not None and held.lease_until is not None

    before = int(time.time())
    disposition = pipeline.processor.handle(event, Delivery())
    after = int(time.time())

    assert not disposition.delete  # that worker may die: this may be the last delivery left
    assert held.lease_until - after + 1 <= disposition.retry_after <= held.lease_until - before + 1  # just after it
    after = pipeline.job(job.job_id)
    assert (after.status, after.attempts, after.lease_until) == (JobStatus.PROCESSING, 1, held.lease_until)


def test_a_transient_failure_releases_the_job_and_retries_after_a_backoff(pipeline: Pipeline) -> None:
    job, event = pipeline.upload()
    pipeline.break_output_uploads()

    disposition = pipeline.processor.handle(event, Delivery(receive_count=1))

    assert not disposition.delete and 1 <= disposition.retry_after <= 2  # retry_base_seconds, with jitter
    after = pipeline.job(job.job_id)
    assert after.status is JobStatus.PROCESSING and not after.notified
    assert after.lease_until is not None and after.lease_until < time.time()  # the next delivery claims at once


def test_on_the_last_receive_a_failure_fails_the_job_with_its_code(pipeline: Pipeline) -> None:
    job, event = pipeline.upload()
    pipeline.break_output_uploads()

    disposition = pipeline.processor.handle(event, Delivery(receive_count=MAX_RECEIVES))

    # Left for SQS to dead-letter on its next receive, where `imgpipe dlq redrive` finds it.
    assert not disposition.delete and disposition.retry_after == 0
    failed = pipeline.job(job.job_id)
    assert failed.status is JobStatus.FAILED and failed.error is not None
    assert failed.error.code == RETRIES_EXHAUSTED and "3 times" in failed.error.message
    [message] = pipeline.outcomes.for_job(job.job_id)
    assert message["body"]["status"] == "failed"


def test_a_heartbeat_extends_the_lease_of_the_job_the_delivery_owns(pipeline: Pipeline) -> None:
    job, event = pipeline.upload()
    owned = pipeline.store.claim(job.job_id, etag=event.etag, lease_seconds=5)
    assert owned is not None

    before = int(time.time())
    pipeline.processor.heartbeat(Delivery(owned=owned), VISIBILITY)
    lease = pipeline.job(job.job_id).lease_until
    assert lease is not None
    # Ends a margin before the message, just hidden for another VISIBILITY seconds, can reappear.
    assert before + VISIBILITY - LEASE_MARGIN_SECONDS <= lease <= int(time.time()) + VISIBILITY - LEASE_MARGIN_SECONDS


def test_a_heartbeat_without_a_claimed_job_touches_nothing(pipeline: Pipeline) -> None:
    job, _ = pipeline.upload()
    pipeline.processor.heartbeat(Delivery(), VISIBILITY)  # e.g. between receive and claim
    assert pipeline.job(job.job_id) == job


def test_a_heartbeat_never_extends_a_lease_another_attempt_took(
    pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    job, event = pipeline.upload()
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    stale = pipeline.store.claim(job.job_id, etag=event.etag, lease_seconds=10, now=long_ago)
    current = pipeline.store.claim(job.job_id, etag=event.etag, lease_seconds=10)  # its lease had run out
    assert stale is not None and current is not None and current.attempts == 2

    with caplog.at_level(logging.WARNING, logger="worker.pipeline"):
        pipeline.processor.heartbeat(Delivery(owned=stale), VISIBILITY)

    assert pipeline.job(job.job_id).lease_until == current.lease_until
    assert "lease lost to another attempt" in caplog.text


def test_close_stops_the_output_upload_threads(pipeline: Pipeline) -> None:
    _, event = pipeline.upload()
    assert pipeline.processor.handle(event, Delivery()) == DONE
    assert any(t.name.startswith("put") for t in threading.enumerate())
    pipeline.processor.close()
    assert not any(t.name.startswith("put") for t in threading.enumerate())
