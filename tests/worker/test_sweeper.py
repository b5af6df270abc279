"""The sweeper against the moto server's table and its index of live leases (the shared session stack).

Leases here ended ~50 s ago, and this sweeper counts a job stranded 10 s after its lease ended: the stack's own
worker (150 s with the defaults) leaves these jobs to it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from cli.stack import LocalStack
from core.aws import AwsClients
from core.jobs import RETRIES_EXHAUSTED, UPLOAD_EXPIRED, Job, JobStatus
from core.store import JobStore
from tests.support import RESULT, pending_job
from worker.sweeper import STRANDED, Sweeper

VISIBILITY = 10


class Outbox:
    """Stands in for the pipeline's notify: records what would be published, or fails like SNS down."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.published: list[Job] = []
        self.down = False

    def __call__(self, job: Job) -> None:
        if self.down:
            raise ConnectionError("SNS is down")
        self.published.append(job)
        self.store.mark_notified(job.job_id)

    def ids(self) -> list[str]:
        return [j.job_id for j in self.published]


@pytest.fixture
def store(store: JobStore, clients: AwsClients, stack: LocalStack) -> JobStore:
    """The worker's store: the write that ends a job reserves its publish for one visibility timeout."""
    return JobStore(clients.dynamodb, stack.settings.jobs_table, publish_claim_seconds=VISIBILITY)


@pytest.fixture
def outbox(store: JobStore) -> Outbox:
    return Outbox(store)


@pytest.fixture
def sweeper(stack: LocalStack, store: JobStore, outbox: Outbox, clients: AwsClients) -> Sweeper:
    settings = stack.settings.model_copy(update={"visibility_timeout_seconds": VISIBILITY, "sweep_grace_seconds": 0})
    return Sweeper(settings, store, outbox, clients.s3)


def _abandoned(store: JobStore) -> Job:
    """A job claimed a minute ago, with a 10 s lease, by a worker that never came back."""
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag=None, lease_seconds=10, now=datetime.now(UTC) - timedelta(seconds=60))
    assert claimed is not None
    return claimed


def test_a_stranded_job_is_failed_published_once_and_can_still_be_redriven(
    store: JobStore, sweeper: Sweeper, outbox: Outbox
) -> None:
    job = _abandoned(store)
    sweeper.sweep()
    assert outbox.ids().count(job.job_id) == 1
    failed = store.get(job.job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and failed.notified
    assert failed.error is not None and failed.error.code == RETRIES_EXHAUSTED
    assert failed.lease_until is None  # out of the index once published

    sweeper.sweep()
    assert outbox.ids().count(job.job_id) == 1  # nothing twice

    redriven = store.claim(job.job_id, etag=None, lease_seconds=60)
    assert redriven is not None and redriven.attempts == job.attempts + 1


def test_live_and_recently_ended_leases_are_left_alone(store: JobStore, sweeper: Sweeper, outbox: Outbox) -> None:
    live = pending_job(store)
    assert store.claim(live.job_id, etag=None, lease_seconds=600) is not None
    released = pending_job(store)
    claimed = store.claim(released.job_id, etag=None, lease_seconds=600)
    assert claimed is not None
    store.release(claimed)  # a transient error: its retry is due within the visibility timeout
    sweeper.sweep()
    for job_id in (live.job_id, released.job_id):
        current = store.get(job_id)
        assert current is not None and current.status is JobStatus.PROCESSING
        assert job_id not in outbox.ids()


def test_a_job_reclaimed_or_extended_since_the_query_is_not_failed(store: JobStore, sweeper: Sweeper) -> None:
    job = _abandoned(store)
    stale = store.get(job.job_id)
    assert stale is not None
    cutoff = int(datetime.now(UTC).timestamp()) - sweeper.stranded_after_seconds
    assert store.extend_lease(job, lease_seconds=60)
    assert store.fail_stranded(stale, STRANDED, cutoff=cutoff) is None
    retaken = store.claim(job.job_id, etag=None, lease_seconds=60, now=datetime.now(UTC) + timedelta(seconds=120))
    assert retaken is not None
    assert store.fail_stranded(stale, STRANDED, cutoff=cutoff + 10_000) is None  # another attempt owns it


def test_an_outcome_that_could_not_be_published_is_published_by_a_later_sweep(
    store: JobStore, sweeper: Sweeper, outbox: Outbox
) -> None:
    job = _abandoned(store)
    outbox.down = True
    sweeper.sweep()
    failed = store.get(job.job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and not failed.notified
    outbox.down = False
    sweeper.sweep()  # too early: the sweep that failed it may still be publishing
    assert job.job_id not in outbox.ids()
    # Once the failing sweep's reservation (one visibility timeout) has been over for the stranded delay.
    sweeper.sweep(now=time.time() + 2 * VISIBILITY + 1)
    assert outbox.ids().count(job.job_id) == 1
    done = store.get(job.job_id)
    assert done is not None and done.notified and done.lease_until is None


def test_a_finished_outcome_its_writer_never_published_is_published_once_by_a_sweep(
    store: JobStore, sweeper: Sweeper, outbox: Outbox
) -> None:
    """The writer completed the job and died before publishing, on the message's last delivery."""
    claimed = store.claim(pending_job(store).job_id, etag=None, lease_seconds=10)
    assert claimed is not None
    done = store.complete(claimed, RESULT)
    assert done is not None and not done.notified
    sweeper.sweep()  # its writer's reservation still runs: it may be publishing right now
    assert done.job_id not in outbox.ids()
    later = time.time() + 2 * VISIBILITY + 1
    sweeper.sweep(now=later)
    sweeper.sweep(now=later)  # a second sweeper, or the next sweep: nothing twice
    assert [j.status for j in outbox.published if j.job_id == done.job_id] == [JobStatus.COMPLETED]
    published = store.get(done.job_id)
    assert published is not None and published.notified and published.lease_until is None


def _after_the_window(job: Job, sweeper: Sweeper) -> float:
    """A time at which the job's upload window has been over longer than any delivery of its message can last."""
    assert job.upload_deadline is not None
    return job.upload_deadline + sweeper.unclaimed_after_seconds + 1


def test_an_uploaded_job_nobody_claimed_is_failed_published_once_and_can_be_redriven(
    store: JobStore, sweeper: Sweeper, outbox: Outbox, clients: AwsClients, stack: LocalStack
) -> None:
    """Every delivery of its message died before the claim: the message was dead-lettered, the job stayed pending."""
    job = pending_job(store, key_prefix="sweeper-tests/")  # no event: the stack's worker never sees it
    put = clients.s3.put_object(Bucket=stack.settings.uploads_bucket, Key=job.upload_key, Body=b"image")
    etag = put["ETag"].strip('"')
    sweeper.sweep()  # its window is open: left alone
    assert job.job_id not in outbox.ids()

    later = _after_the_window(job, sweeper)
    sweeper.sweep(now=later)
    sweeper.sweep(now=later)  # a second sweeper, or the next sweep: nothing twice
    assert outbox.ids().count(job.job_id) == 1
    failed = store.get(job.job_id)
    assert failed is not None and failed.status is JobStatus.FAILED and failed.notified
    assert failed.error_code == RETRIES_EXHAUSTED and failed.source_etag == etag
    assert failed.lease_until is None

    assert store.claim(job.job_id, etag="another-upload", lease_seconds=60) is None
    redriven = store.claim(job.job_id, etag=etag, lease_seconds=60)
    assert redriven is not None and redriven.status is JobStatus.PROCESSING


def test_a_job_whose_file_never_arrived_stays_expired_leaves_the_index_and_publishes_nothing(
    store: JobStore, sweeper: Sweeper, outbox: Outbox
) -> None:
    job = pending_job(store, key_prefix="sweeper-tests/")
    later = _after_the_window(job, sweeper)
    assert job.job_id in [j.job_id for j in store.leases_ended_before(int(later))]  # the sweeper checks it
    sweeper.sweep(now=later)
    assert job.job_id not in outbox.ids()
    left = store.get(job.job_id)
    assert left is not None and left.status is JobStatus.UPLOAD_PENDING and left.lease_until is None
    assert left.status_at(datetime.fromtimestamp(later, UTC)) is JobStatus.EXPIRED
    assert job.job_id not in [j.job_id for j in store.leases_ended_before(int(later))]


def test_a_job_nobody_claimed_whose_file_came_after_its_window_fails_upload_expired(
    store: JobStore, sweeper: Sweeper, outbox: Outbox, clients: AwsClients, stack: LocalStack
) -> None:
    """The late upload the pipeline fails with upload_expired, when no delivery reached the pipeline."""
    job = pending_job(store, key_prefix="sweeper-tests/")
    closed = int(time.time()) - 5  # the window closed before the upload below
    clients.dynamodb.update_item(
        TableName=stack.settings.jobs_table,
        Key={"job_id": {"S": job.job_id}},
        UpdateExpression="SET upload_deadline = :epoch, lease_until = :epoch",
        ExpressionAttributeValues={":epoch": {"N": str(closed)}},
    )
    clients.s3.put_object(Bucket=stack.settings.uploads_bucket, Key=job.upload_key, Body=b"image")
    sweeper.sweep(now=closed + sweeper.unclaimed_after_seconds + 1)
    assert [(j.job_id, j.error_code) for j in outbox.published if j.job_id == job.job_id] == [
        (job.job_id, UPLOAD_EXPIRED)
    ]
