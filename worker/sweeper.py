"""The sweeper: ends jobs stranded in `processing` after their last delivery died, without an operator.

A job's lease ends a margin before its message can reappear, so while the message lives, a delivery reclaims the
job within `visibility_timeout_seconds` of the lease's end (a crash: the message returns at once; a transient
error: after a backoff capped at the visibility timeout). A lease that stayed ended longer than that plus
`sweep_grace_seconds` belongs to a job whose message is gone (dead-lettered after its last delivery): the sweeper
fails it with `processing_retries_exhausted`, as the pipeline does on a last delivery that it survives, and
publishes the outcome. `imgpipe dlq redrive` can still retry it.

It also publishes outcomes that nobody published: the write that ends a job keeps it in the index (its `lease_until`
becomes the end of the writer's publish reservation) until the publish is recorded, so a job whose writer died
between its write and its publish on the message's last delivery is published by a sweep, once (take_publish).

Every worker runs one. Cheap: a query per shard of the sparse index of live leases, not a table scan. Safe when
several run at once: the failing write is conditional (still processing, same attempt, lease still ended), so one
sweeper wins and a job that was reclaimed or extended meanwhile is left alone.

A job nobody claimed waits in the index too, until its upload window ends (see worker/pending.py): if its file
arrived in the window, every delivery of its message died before the claim and the message was dead-lettered, so
the sweeper fails it like a stranded job.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.config import Settings
from core.jobs import RETRIES_EXHAUSTED, Job, JobErrorInfo, JobStatus
from core.logs import log_context
from core.metrics import emit_job
from core.store import JobStore
from worker.pending import end_pending

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

log = logging.getLogger(__name__)

STRANDED = JobErrorInfo(
    code=RETRIES_EXHAUSTED,
    message="The job's last delivery ended without a result (its worker stopped or could not record one) and its "
    "retries are used up; an operator can retry it with `imgpipe dlq redrive`.",
)


class Sweeper:
    def __init__(self, settings: Settings, store: JobStore, notify: Callable[[Job], None], s3: S3Client) -> None:
        """`notify` is the pipeline's one path for publishing an outcome (JobProcessor.notify); `s3` reads the
        uploads bucket (a listing of the upload key) to tell a job nobody claimed from one whose file never arrived."""
        self.settings = settings
        self.store = store
        self.notify = notify
        self.s3 = s3

    @property
    def stranded_after_seconds(self) -> int:
        """How long a lease must have ended before its job counts as stranded."""
        return self.settings.visibility_timeout_seconds + self.settings.sweep_grace_seconds

    @property
    def unclaimed_after_seconds(self) -> int:
        """How long a pending job's upload window must have ended before the sweeper checks it: a file uploaded at
        the window's end has a message that lives up to max_receive_count visibility timeouts."""
        s = self.settings
        return s.max_receive_count * s.visibility_timeout_seconds + s.sweep_grace_seconds

    def run(self, stop: threading.Event) -> None:
        """Sweep every `sweep_interval_seconds` until `stop` is set; the first at a random point of the interval,
        so that workers started together do not query together."""
        interval = self.settings.sweep_interval_seconds
        wait = random.uniform(0, interval)
        while not stop.wait(wait):
            try:
                self.sweep()
            except Exception:
                log.warning("sweep failed; trying again in %ss", interval, exc_info=True)
            wait = interval

    def sweep(self, now: float | None = None) -> int:
        """One pass: fail the stranded jobs and publish their outcomes. Returns how many this call failed."""
        now = time.time() if now is None else now
        cutoff = int(now) - self.stranded_after_seconds
        failed = 0
        for job in self.store.leases_ended_before(cutoff):
            with log_context(job_id=job.job_id, attempt=job.attempts):
                try:
                    failed += self._end(job, cutoff, now)
                except Exception:
                    log.warning("could not end a stranded job; the next sweep will", exc_info=True)
        return failed

    def _end(self, job: Job, cutoff: int, now: float) -> int:
        """Fail `job` if still stranded and publish its outcome, or publish a finished job's outcome that its writer
        never published; publishing takes it out of the index. 1 if this call failed the job."""
        failed = 0
        if job.status is JobStatus.UPLOAD_PENDING:
            ended = end_pending(self.store, self.s3, self.settings, job, cutoff=int(now) - self.unclaimed_after_seconds)
            if ended is None:
                return 0
            job, failed = ended, int(ended.error_code == RETRIES_EXHAUSTED)
        elif job.status is JobStatus.PROCESSING:
            swept = self.store.fail_stranded(job, STRANDED, cutoff=cutoff)
            if swept is None:
                return 0  # reclaimed, extended, finished or swept by another worker meanwhile
            log.error("stranded job failed: its lease ended %ss ago", int(now) - (job.lease_until or 0))
            emit_job(swept.status.value, RETRIES_EXHAUSTED, {})
            job, failed = swept, 1  # the failing write reserved the publish for this sweep
        elif job.notified:
            self.store.clear_lease(job)  # published, but the record of it did not take the job out of the index
            return 0
        else:
            # Finished, its publish reservation long over, and never published: its writer (or the sweep that failed
            # it) died or failed between the write and the publish, and no delivery is left to publish it. Taken over
            # with a conditional write, so that one sweeper publishes it.
            taken = self.store.take_publish(job, now=datetime.fromtimestamp(now, UTC))
            if taken is None:
                return 0
            log.warning("publishing a %s job's outcome that its writer did not publish", job.status.value)
            job = taken
        self.notify(job)  # publishes, then records it, which takes the job out of the index
        return failed
