"""Job state transitions through DynamoDB conditional writes (on the moto server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.jobs import JobErrorInfo, JobStatus
from core.store import JobStore
from tests.analysis_results import RESULT_WITH_ANALYSIS
from tests.support import RESULT, pending_job


def test_claim_then_complete(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.source_etag) == (JobStatus.PROCESSING, 1, "e1")
    done = store.complete(claimed, RESULT)
    assert done is not None and done.status is JobStatus.COMPLETED
    assert done.result == RESULT
    # Still in the index of live leases, until its reserved publish: the sweeper's to publish if nobody does.
    assert done.lease_until is not None and done.lease_until == done.publish_until
    store.mark_notified(job.job_id)
    published = store.get(job.job_id)
    assert published is not None and published.notified
    assert published.lease_until is None


def test_a_typed_analysis_round_trips_through_the_item(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert claimed is not None
    assert store.complete(claimed, RESULT_WITH_ANALYSIS) is not None
    stored = store.get(job.job_id)
    assert stored is not None and stored.result is not None
    assert stored.result == RESULT_WITH_ANALYSIS
    assert stored.result.analysis is not None and stored.result.analysis.words[0].confidence == 99.5


def test_a_second_delivery_cannot_claim_or_finish_again(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert claimed is not None
    assert store.claim(job.job_id, etag="e1", lease_seconds=60) is None  # a live owner holds it
    assert store.complete(claimed, RESULT) is not None
    assert store.claim(job.job_id, etag="e1", lease_seconds=60) is None  # finished: never processed twice
    assert store.complete(claimed, RESULT) is None
    assert store.fail(claimed, JobErrorInfo(code="x", message="y")) is None
    final = store.get(job.job_id)
    assert final is not None and final.status is JobStatus.COMPLETED


def test_expired_lease_is_taken_over_and_the_stale_attempt_is_fenced_off(store: JobStore) -> None:
    job = pending_job(store)
    first = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert first is not None
    later = datetime.now(UTC) + timedelta(seconds=120)
    second = store.claim(job.job_id, etag="e1", lease_seconds=60, now=later)
    assert second is not None and second.attempts == 2
    assert store.complete(first, RESULT) is None  # the dead worker's late write is refused
    assert store.extend_lease(first, lease_seconds=60) is False
    assert store.extend_lease(second, lease_seconds=60) is True
    assert store.complete(second, RESULT) is not None


def test_fail_records_the_error(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag=None, lease_seconds=60)
    assert claimed is not None
    failed = store.fail(claimed, JobErrorInfo(code="corrupt_image", message="bad bytes"))
    assert failed is not None
    assert failed.status is JobStatus.FAILED
    assert failed.error == JobErrorInfo(code="corrupt_image", message="bad bytes")


def test_create_never_overwrites_and_recognises_its_own_job(store: JobStore) -> None:
    job = pending_job(store)
    # A retried put of the same job (its first answer lost) finds that very job: the caller can tell.
    assert store.create(job) == job
    # Another job under the same id is refused: the stored one comes back, unchanged.
    other = job.model_copy(update={"filename": "other.png"})
    assert store.create(other) == job != other
    assert store.get(job.job_id) == job


def test_only_jobs_that_ran_out_of_retries_can_be_claimed_again(store: JobStore) -> None:
    from core.jobs import RETRIES_EXHAUSTED

    final = pending_job(store)
    claimed = store.claim(final.job_id, etag=None, lease_seconds=60)
    assert claimed is not None
    assert store.fail(claimed, JobErrorInfo(code="corrupt_image", message="bad")) is not None
    assert store.claim(final.job_id, etag=None, lease_seconds=60) is None

    retryable = pending_job(store)
    claimed = store.claim(retryable.job_id, etag=None, lease_seconds=60)
    assert claimed is not None
    assert store.fail(claimed, JobErrorInfo(code=RETRIES_EXHAUSTED, message="x")) is not None
    again = store.claim(retryable.job_id, etag=None, lease_seconds=60)
    assert again is not None
    assert (again.status, again.attempts, again.error, again.error_code) == (JobStatus.PROCESSING, 2, None, None)


def test_release_lets_the_next_delivery_claim_at_once(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag=None, lease_seconds=600)
    assert claimed is not None
    assert store.claim(job.job_id, etag=None, lease_seconds=600) is None
    store.release(claimed)
    retaken = store.claim(job.job_id, etag=None, lease_seconds=600)
    assert retaken is not None and retaken.attempts == 2


def test_claim_refuses_a_file_uploaded_after_the_window_and_the_job_fails_upload_expired(store: JobStore) -> None:
    job = pending_job(store)
    assert job.upload_deadline == int(job.upload_expires_at.timestamp())
    late = job.upload_expires_at + timedelta(seconds=1)
    assert store.claim(job.job_id, etag="e1", lease_seconds=60, now=late) is None
    assert store.claim(job.job_id, etag="e1", lease_seconds=60, now=late, uploaded_at=late) is None
    # Only a pending job whose file came after the deadline can be failed this way.
    assert store.expire_upload(job.job_id, uploaded_at=job.upload_expires_at - timedelta(seconds=1)) is None
    failed = store.expire_upload(job.job_id, uploaded_at=late)
    assert failed is not None and failed.error is not None
    assert (failed.status, failed.error.code, failed.attempts) == (JobStatus.FAILED, "upload_expired", 0)
    assert store.claim(job.job_id, etag="e1", lease_seconds=60, now=late) is None  # never processed afterwards


def test_a_file_uploaded_in_time_is_claimed_even_when_its_event_is_read_late(store: JobStore) -> None:
    # A queue backlog must not expire uploads S3 accepted in time: the upload's time decides, not the worker's.
    job = pending_job(store)
    late = job.upload_expires_at + timedelta(minutes=5)
    in_time = job.upload_expires_at - timedelta(seconds=1)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60, now=late, uploaded_at=in_time)
    assert claimed is not None and claimed.status is JobStatus.PROCESSING


def test_the_finishing_write_owns_the_publish_until_its_claim_runs_out(store: JobStore) -> None:
    job = pending_job(store)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert claimed is not None
    done = store.complete(claimed, RESULT)
    assert done is not None and done.publish_until is not None and not done.notified
    assert store.take_publish(done) is None  # the writer is about to publish: a duplicate must not
    later = datetime.fromtimestamp(done.publish_until, UTC)
    taken = store.take_publish(done, now=later)  # the writer died before publishing: take it over, once
    assert taken is not None and taken.publish_until is not None and taken.publish_until > done.publish_until
    assert store.take_publish(done, now=later) is None
    store.mark_notified(job.job_id)
    assert store.take_publish(done, now=later + timedelta(days=1)) is None


def test_a_redrive_needs_the_same_upload_and_starts_a_new_outcome(store: JobStore) -> None:
    from core.jobs import RETRIES_EXHAUSTED

    job = pending_job(store)
    claimed = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert claimed is not None
    assert store.fail(claimed, JobErrorInfo(code=RETRIES_EXHAUSTED, message="x")) is not None
    store.mark_notified(job.job_id)
    assert store.claim(job.job_id, etag="other-file", lease_seconds=60) is None  # the file was replaced since
    again = store.claim(job.job_id, etag="e1", lease_seconds=60)
    assert again is not None and not again.notified and again.publish_until is None
