"""The one poll loop of `imgpipe submit --wait` and `status --wait`, against scripted answers (no API, no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator

from cli.jobs import follow
from core.views import JOB_VIEW_EXAMPLE, JobView


def _job(job_id: str, status: str) -> JobView:
    return JobView.model_validate({**JOB_VIEW_EXAMPLE, "job_id": job_id, "status": status, "result": None})


class _Api:
    """Answers GET /v1/jobs/{id} with each job's next scripted status (the last one repeats), counting requests."""

    def __init__(self, **scripts: list[str]) -> None:
        self._scripts: dict[str, Iterator[str]] = {}
        self._last: dict[str, str] = {}
        for job_id, statuses in scripts.items():
            self._scripts[job_id] = iter(statuses)
        self.requests: list[str] = []

    def get_job(self, job_id: str) -> JobView:
        self.requests.append(job_id)
        self._last[job_id] = next(self._scripts[job_id], self._last.get(job_id, ""))
        return _job(job_id, self._last[job_id])


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def test_each_change_is_reported_once_and_ended_jobs_are_not_asked_again() -> None:
    api = _Api(a=["upload_pending", "processing", "processing", "completed"], b=["failed"])
    clock = _Clock()
    changes: list[tuple[str, str]] = []
    latest = follow(
        api.get_job,
        {"a": "upload_pending", "b": "upload_pending"},
        timeout=60,
        on_change=lambda job_id, job: changes.append((job_id, job.status)),
        clock=clock,
        sleep=clock.sleep,
    )
    assert changes == [("b", "failed"), ("a", "processing"), ("a", "completed")]
    assert api.requests == ["a", "b", "a", "a", "a"]
    assert {job_id: job.status for job_id, job in latest.items()} == {"a": "completed", "b": "failed"}
    assert len(clock.pauses) == 3  # between rounds only: none after the last job ended


def test_a_job_that_does_not_end_is_returned_as_it_is_when_the_timeout_passes() -> None:
    api = _Api(a=["processing"])
    clock = _Clock()
    changes: list[str] = []
    latest = follow(
        api.get_job,
        {"a": None},
        timeout=10,
        on_change=lambda _, job: changes.append(job.status),
        clock=clock,
        sleep=clock.sleep,
    )
    assert latest["a"].status == "processing"
    assert changes == ["processing"]  # nothing was known before: the first answer is a change
    assert 10 < clock.now <= 12  # it stopped at the first look after the timeout
    assert clock.pauses[:3] == [0.1, 0.1 * 1.5, 0.1 * 1.5 * 1.5] and max(clock.pauses) == 2.0  # backs off to 2 s


def test_no_jobs_means_no_requests() -> None:
    api = _Api()
    assert follow(api.get_job, {}, timeout=10, sleep=lambda _: None) == {}
    assert api.requests == []
