"""core/listing.py on the emulator's jobs table: a status filter that matches little reads a bounded number of items
per request and hands back a cursor, also when the request's deadline draws near; the order is by creation time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cli.stack import LocalStack
from core import listing
from core.aws import AwsClients
from core.deadline import deadline
from core.jobs import Job, JobStatus, new_job
from core.keys import upload_key
from core.listing import created_key, list_jobs
from core.store import JobStore
from tests.support import RESULT


def _job(owner: str, created: datetime) -> Job:
    job_id = str(uuid.uuid4())
    return new_job(
        job_id=job_id,
        owner=owner,
        filename="a.png",
        content_type="image/png",
        declared_size=10,
        upload_key=upload_key(job_id),
        upload_window=timedelta(minutes=15),
        retention=timedelta(days=1),
        now=created,
    )


def _history(store: JobStore, pending: int, *, completed_first: bool) -> tuple[str, list[Job]]:
    """An owner with `pending` jobs, after (newer than) one completed job when `completed_first`."""
    owner = f"t{uuid.uuid4().hex[:10]}"
    start = datetime.now(UTC) - timedelta(minutes=10)
    jobs = [store.create(_job(owner, start + timedelta(seconds=i))) for i in range(pending + 1)]
    if completed_first:
        claimed = store.claim(jobs[0].job_id, etag="e", lease_seconds=60)
        assert claimed is not None and store.complete(claimed, RESULT) is not None
    return owner, jobs


def test_a_sparse_filter_reads_a_bounded_number_of_items_per_request(
    stack: LocalStack, clients: AwsClients, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "MAX_READ", 3)
    monkeypatch.setattr(listing, "_FILTERED_PAGE", 1)
    owner, jobs = _history(store, 6, completed_first=True)  # 7 jobs; only the oldest is completed

    answers = []
    cursor: str | None = None
    for _ in range(3):
        found, cursor = list_jobs(
            clients.dynamodb,
            stack.settings.jobs_table,
            owner=owner,
            now=datetime.now(UTC),
            limit=1,
            status=JobStatus.COMPLETED,
            cursor=cursor,
        )
        answers.append(([j.job_id for j in found], cursor is not None))
    # 3 items read per request: two empty pages that say more may follow, then the match and the end.
    assert answers == [([], True), ([], True), ([jobs[0].job_id], False)]


def test_paging_stops_with_a_cursor_when_the_deadline_is_near(
    stack: LocalStack, clients: AwsClients, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "_FILTERED_PAGE", 2)
    owner, _ = _history(store, 5, completed_first=False)

    def first_page(reserve: float) -> tuple[list[Job], str | None]:
        with deadline(30):
            return list_jobs(
                clients.dynamodb,
                stack.settings.jobs_table,
                owner=owner,
                now=datetime.now(UTC),
                limit=1,
                status=JobStatus.COMPLETED,
                reserve_seconds=reserve,
            )

    # 30 s left, but one more query may take 60: stop after the first and say where to resume.
    found, cursor = first_page(60)
    assert found == [] and cursor is not None
    # With time to spare it reads on to the end: no job matches and no cursor is given.
    assert first_page(1) == ([], None)


def test_created_keys_sort_as_the_creation_times_even_on_whole_seconds() -> None:
    whole = _job("o", datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC))
    later = _job("o", datetime(2026, 1, 1, 12, 0, 0, 500, tzinfo=UTC))
    tomorrow = _job("o", datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC))
    assert created_key(whole) < created_key(later) < created_key(tomorrow)
    assert created_key(whole).startswith("2026-01-01T12:00:00.000000Z#")
