"""One upload event -> one finished job: claim, fetch, image stage, outputs, result, notification."""

from __future__ import annotations

import logging
import time
from enum import Enum

from botocore.exceptions import ClientError

from core.aws import AwsClients
from core.errors import ImageTooLargeError, JobError, UploadMissingError
from core.jobs import TERMINAL, Job, JobErrorInfo, JobResult, OutputFile
from core.keys import job_id_from_upload_key, output_key
from core.logs import log_context
from core.store import JobStore
from worker.events import UploadEvent
from worker.stages.image import process_image
from worker.stages.publish import publish_outcome

log = logging.getLogger(__name__)


class Disposition(Enum):
    DONE = "done"  # delete the message: the job is finished, or the event is not ours to act on
    RETRY = "retry"  # keep the message: a transient problem, it comes back after its visibility timeout


class JobProcessor:
    def __init__(self, clients: AwsClients, store: JobStore, topic_arn: str) -> None:
        self.clients = clients
        self.settings = clients.settings
        self.store = store
        self.topic_arn = topic_arn

    def handle(self, event: UploadEvent) -> Disposition:
        job_id = job_id_from_upload_key(event.key)
        if event.bucket != self.settings.uploads_bucket or job_id is None:
            log.info("ignoring event outside the uploads layout", extra={"fields": {"key": event.key}})
            return Disposition.DONE
        with log_context(job_id=job_id):
            job = self.store.claim(job_id, etag=event.etag, lease_seconds=self.settings.visibility_timeout_seconds)
            if job is None:
                return self._not_claimed(job_id)
            with log_context(attempt=job.attempts):
                return self._process(job, event)

    def _not_claimed(self, job_id: str) -> Disposition:
        """A duplicate or stale delivery: never a second result, but publish an outcome that was missed."""
        current = self.store.get(job_id)
        if current is None:
            log.warning("upload for an unknown job; dropping the event")
        elif current.status in TERMINAL and not current.notified:
            self._notify(current)
        else:
            log.info("duplicate delivery; job is %s", current.status.value)
        return Disposition.DONE

    def _process(self, job: Job, event: UploadEvent) -> Disposition:
        started = time.monotonic()
        try:
            result = self._run_stages(job, event)
        except JobError as exc:
            log.info("job failed: %s", exc.code, extra={"fields": {"error_code": exc.code}})
            finished = self.store.fail(job, JobErrorInfo(code=exc.code, message=exc.message))
        else:
            finished = self.store.complete(job, result)
        if finished is None:
            log.warning("lost ownership of the job before finishing; another attempt owns it")
            return Disposition.DONE
        log.info(
            "job %s",
            finished.status.value,
            extra={"fields": {"duration_ms": round((time.monotonic() - started) * 1000, 1)}},
        )
        self._notify(finished)
        return Disposition.DONE

    def _run_stages(self, job: Job, event: UploadEvent) -> JobResult:
        s3, s = self.clients.s3, self.settings
        with log_context(stage="fetch"):
            try:
                head = s3.head_object(Bucket=event.bucket, Key=event.key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    raise UploadMissingError("The uploaded object no longer exists.") from None
                raise
            size = head["ContentLength"]
            # Checked before downloading: the POST policy enforces this in AWS, but not every path does.
            if size > s.max_upload_bytes:
                raise ImageTooLargeError(
                    f"The upload is {size} bytes; the limit is {s.max_upload_bytes} bytes.",
                    details={"bytes": size, "max_bytes": s.max_upload_bytes},
                )
            data = s3.get_object(Bucket=event.bucket, Key=event.key)["Body"].read()
        with log_context(stage="image"):
            outcome = process_image(data, s)
        with log_context(stage="store_outputs"):
            outputs = []
            for r in outcome.renditions:
                key = output_key(job.job_id, r.name)
                s3.put_object(Bucket=s.outputs_bucket, Key=key, Body=r.data, ContentType=r.content_type)
                outputs.append(
                    OutputFile(
                        name=r.name,
                        key=key,
                        content_type=r.content_type,
                        width=r.width,
                        height=r.height,
                        bytes=len(r.data),
                    )
                )
        return JobResult(metadata=outcome.metadata, outputs=outputs)

    def _notify(self, job: Job) -> None:
        with log_context(stage="publish"):
            publish_outcome(self.clients.sns, self.topic_arn, job)
            self.store.mark_notified(job.job_id)
