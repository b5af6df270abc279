"""One upload event -> one finished job: claim, fetch, image stage, analysis, outputs, result, notification."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError
from PIL import Image

from core.analysis import Analysis, BoundingBox
from core.aws import AwsClients
from core.deletion import remove_job_files
from core.errors import ImageTooLargeError, JobError, UploadMissingError
from core.jobs import (
    RETRIES_EXHAUSTED,
    TERMINAL,
    UPLOAD_EXPIRED,
    ImageMetadata,
    Job,
    JobErrorInfo,
    JobResult,
    JobStatus,
    OutputFile,
    utcnow,
)
from core.keys import job_id_from_upload_key, output_key
from core.logs import log_context
from core.metrics import Stopwatch, emit_job, timed
from core.recipes import Fit, Gravity
from core.store import JobStore
from worker.analysis import SourceImage, analyze, stored_analysis
from worker.analysis.features import features_to_run
from worker.crop import face_boxes
from worker.delivery import DONE, LEASE_MARGIN_SECONDS, Delivery, Disposition, backoff_seconds
from worker.events import UploadEvent
from worker.stages.image import process_image
from worker.stages.publish import publish_outcome
from worker.stages.renditions import RenderedOutput

log = logging.getLogger(__name__)


class _UploadReplaced(Exception):
    """The uploaded file no longer has the ETag of the event being handled."""


class _Stopping(Exception):
    """The worker began stopping before a slot for the job's image work was free."""


class JobProcessor:
    """The pipeline side of the consumer's contract (worker.delivery.Processor): handles events, owns job leases."""

    def __init__(self, clients: AwsClients, store: JobStore, topic_arn: str) -> None:
        self.clients = clients
        self.settings = clients.settings
        self.store = store
        self.topic_arn = topic_arn
        # Stores each job's outputs in parallel; sized for every concurrent job's renditions at once.
        self._uploads = ThreadPoolExecutor(max_workers=4 * self.settings.worker_concurrency, thread_name_prefix="put")

    def handle(self, event: UploadEvent, delivery: Delivery) -> Disposition:
        job_id = job_id_from_upload_key(event.key)
        if event.bucket != self.settings.uploads_bucket or job_id is None:
            log.info("ignoring event outside the uploads layout", extra={"fields": {"key": event.key}})
            return DONE
        with log_context(job_id=job_id):
            job = self.store.claim(
                job_id,
                etag=event.etag,
                lease_seconds=delivery.lease_seconds(self.settings.visibility_timeout_seconds),
                uploaded_at=event.uploaded_at,
            )
            if job is None:
                return self._not_claimed(job_id, event)
            delivery.owned = job
            with log_context(attempt=job.attempts):
                try:
                    return self._process(job, event, delivery)
                finally:
                    delivery.owned = None

    def heartbeat(self, delivery: Delivery, seconds: int) -> None:
        """The message was hidden for another `seconds`: extend the lease of the job this delivery owns, to end a
        margin before the message can reappear, as at the claim (Delivery.lease_seconds)."""
        job = delivery.owned
        if job is not None and not self.store.extend_lease(job, lease_seconds=seconds - LEASE_MARGIN_SECONDS):
            log.warning("job %s: lease lost to another attempt", job.job_id)

    def close(self) -> None:
        """Stop the output-upload threads; call once no job runs any more (after the consumer's drain)."""
        self._uploads.shutdown(wait=True)

    def _not_claimed(self, job_id: str, event: UploadEvent) -> Disposition:
        """A duplicate, stale, replaced or late delivery: never a second result, but publish an outcome that was
        missed."""
        current = self.store.get(job_id)
        if current is None:
            # Never created, or its record has expired (a deleted job's tombstone too): nobody can see or fetch this
            # file, so it is removed now rather than left for the uploads bucket's lifecycle rule.
            log.warning("upload for a job that does not exist; removing the file")
            self.clients.s3.delete_object(Bucket=event.bucket, Key=event.key)
            return DONE
        if current.status is JobStatus.DELETED:
            # A file uploaded after its job was deleted (the presigned POST stays valid until its window ends), or a
            # redelivery after an attempt the deletion cut short: remove whatever of the job is stored, process nothing.
            remove_job_files(self.clients, current)
            return DONE
        if current.status is JobStatus.UPLOAD_PENDING:
            # claim refuses a pending job only when its file came after the upload window.
            return self._refuse_late_upload(current, event)
        if current.status is JobStatus.PROCESSING:
            # Another worker holds a live lease. Don't drop the message: if that worker dies, this may be the only
            # delivery left. Come back when the lease would have run out; by then the job is finished or free.
            return self._come_back(current.lease_until, "job is being processed elsewhere")
        if event.etag and current.source_etag and event.etag != current.source_etag:
            # The presigned POST was used again after the job ended: the stored file changed, the job's result
            # stays that of the file it processed.
            log.warning(
                "ignoring an upload whose etag differs from the one the %s job processed; it is not processed",
                current.status.value,
                extra={"fields": {"etag": event.etag, "source_etag": current.source_etag}},
            )
            return DONE
        if current.status in TERMINAL and not current.notified:
            return self._publish_missed(current)
        log.info("duplicate delivery; job is already %s", current.status.value)
        return DONE

    def _come_back(self, until: int | None, why: str) -> Disposition:
        """Leave the message for later: just after `until` (epoch seconds), when the other owner's claim ends."""
        delay = min(max(1, (until or 0) - int(utcnow().timestamp()) + 1), 43200)
        log.info("%s; retrying in %ss", why, delay)
        return Disposition(delete=False, retry_after=delay)

    def _refuse_late_upload(self, job: Job, event: UploadEvent) -> Disposition:
        uploaded_at = event.uploaded_at or utcnow()
        failed = self.store.expire_upload(job.job_id, uploaded_at=uploaded_at)
        if failed is None:
            # Not late after all (e.g. claimed or failed meanwhile): look again with the job as it is now.
            return Disposition(delete=False, retry_after=1)
        log.warning(
            "upload arrived after the upload window closed; the job fails with %s and the file is not processed",
            UPLOAD_EXPIRED,
            extra={"fields": {"uploaded_at": uploaded_at.isoformat(), "deadline": job.upload_expires_at.isoformat()}},
        )
        self.notify(failed)
        return DONE

    def _publish_missed(self, job: Job) -> Disposition:
        """Publish a finished job's outcome that was not published, unless its writer still owns the publish:
        publishing now as well would send it twice (the writer is usually between its write and its publish)."""
        if (job.publish_until or 0) > int(utcnow().timestamp()):
            return self._come_back(job.publish_until, "outcome is being published by the attempt that wrote it")
        taken = self.store.take_publish(job)
        if taken is None:
            # Published meanwhile, or another delivery took the publish: look again once its claim would end.
            latest = self.store.get(job.job_id)
            if latest is None or latest.notified:
                return DONE
            return self._come_back(latest.publish_until, "publish taken by another delivery")
        log.info("publishing an outcome its writer did not publish")
        self.notify(taken)
        return DONE

    def _process(self, job: Job, event: UploadEvent, delivery: Delivery) -> Disposition:
        clock = Stopwatch()
        durations: dict[str, float] = {}
        try:
            finished = self._attempt(job, event, durations, delivery)
        except _UploadReplaced:
            return self._replaced(job)
        except _Stopping:
            return self._give_back(job)
        except Exception as exc:
            return self._transient(job, exc, delivery)
        if finished is None:
            return self._lost(job)
        durations["total"] = clock.ms()
        log.info("job %s", finished.status.value, extra={"fields": {"durations_ms": durations}})
        emit_job(finished.status.value, finished.error.code if finished.error else None, durations)
        self.notify(finished)
        return DONE

    def _replaced(self, job: Job) -> Disposition:
        """The file changed after this event was sent (the presigned POST was used again before the job finished):
        this event's bytes are gone. The job is given back for the newer file's own event to claim and process."""
        log.warning("the upload was replaced after this event; the newer file's event processes the job")
        self._release_lease(job)
        return DONE

    def _give_back(self, job: Job) -> Disposition:
        """The worker began stopping while the job, claimed and read, waited for a slot: the lease is released and the
        message returned at once, for another worker to claim without waiting for either to run out."""
        self._release_lease(job)
        return Disposition(delete=False, retry_after=0)

    def _release_lease(self, job: Job) -> None:
        """Give the job back so that its next delivery claims it at once. Failing that (the store may be what is
        failing), the lease simply runs out first: later, not lost."""
        try:
            self.store.release(job)
        except Exception:
            log.warning("could not release the job's lease; it is claimed again once the lease runs out", exc_info=True)

    def _lost(self, job: Job) -> Disposition:
        """The write that ends the attempt was refused: another attempt owns the job, or the job was deleted while
        this one ran, and then the outputs it wrote are removed (the deletion may have looked before they existed)."""
        current = self.store.get(job.job_id)
        if current is None or current.status is JobStatus.DELETED:
            log.warning("the job was deleted while it was processed; removing what this attempt stored")
            remove_job_files(self.clients, current or job)
            return DONE
        log.warning("lost ownership of the job before finishing; another attempt owns it")
        return DONE

    def _attempt(self, job: Job, event: UploadEvent, durations: dict[str, float], delivery: Delivery) -> Job | None:
        """Run the stages and record the outcome; None if another attempt owns the job by then. The image work runs
        in one of the consumer's slots (`delivery`), taken after the upload is read and given back before the
        outputs are stored.

        Recording is part of the attempt: a failed complete()/fail() write spends the retry budget like any error.
        """
        try:
            result = self._run_stages(job, event, durations, delivery)
        except JobError as exc:
            log.info("job failed: %s", exc.code, extra={"fields": {"error_code": exc.code}})
            return self.store.fail(job, JobErrorInfo(code=exc.code, message=exc.message))
        return self.store.complete(job, result)

    def _transient(self, job: Job, exc: Exception, delivery: Delivery) -> Disposition:
        """AWS errors that outlived botocore's retries, or a bug: retry later; the last receive fails the job."""
        s = self.settings
        if delivery.receive_count >= s.max_receive_count:
            log.error("retries exhausted; failing the job before its message goes to the DLQ", exc_info=exc)
            error = JobErrorInfo(
                code=RETRIES_EXHAUSTED,
                message=f"Processing failed {delivery.receive_count} times with transient errors "
                f"({type(exc).__name__}); an operator can retry it with `imgpipe dlq redrive`.",
            )
            try:
                failed = self.store.fail(job, error)
            except Exception:
                # The store itself is failing: the job stays processing and the sweeper fails it once its lease
                # has run out (worker/sweeper.py).
                log.exception("could not record the failure; the sweeper will")
                return Disposition(delete=False, retry_after=0)
            if failed is not None:
                # Counted like every finished job: an alarm watches this code (docs/operations.md).
                emit_job(failed.status.value, RETRIES_EXHAUSTED, {})
                self.notify(failed)
            # Not deleted: SQS moves it to the DLQ on its next receive, where it can be inspected and redriven.
            return Disposition(delete=False, retry_after=0)
        delay = backoff_seconds(delivery.receive_count, s.retry_base_seconds, s.visibility_timeout_seconds)
        log.warning("transient failure, retrying in %ss: %s", delay, exc, exc_info=exc)
        self._release_lease(job)
        return Disposition(delete=False, retry_after=delay)

    def _run_stages(self, job: Job, event: UploadEvent, durations: dict[str, float], delivery: Delivery) -> JobResult:
        s3, s = self.clients.s3, self.settings
        with log_context(stage="fetch"), timed(durations, "fetch"):
            try:
                # One request, not HEAD + GET (bench/README.md, Orchestration): the size is checked from the
                # response headers before the body is read.
                # If-Match the event's ETag: the bytes read are the ones the claim recorded (`source_etag`), not a
                # file the presigned POST put there again since.
                if event.etag:
                    etag = event.etag.strip('"')
                    obj = s3.get_object(Bucket=event.bucket, Key=event.key, IfMatch=f'"{etag}"')
                else:
                    obj = s3.get_object(Bucket=event.bucket, Key=event.key)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("404", "NoSuchKey", "NotFound"):
                    raise UploadMissingError("The uploaded object no longer exists.") from None
                if code in ("412", "PreconditionFailed"):
                    raise _UploadReplaced from None
                raise
            size = obj["ContentLength"]
            # Checked before downloading: the POST policy enforces this in AWS, but not every path does.
            if size > s.max_upload_bytes:
                obj["Body"].close()
                raise ImageTooLargeError(
                    f"The upload is {size} bytes; the limit is {s.max_upload_bytes} bytes.",
                    details={"bytes": size, "max_bytes": s.max_upload_bytes},
                )
            # One read of the known length, straight into one buffer: reading in chunks and joining them cost a
            # 12 MP upload 1.6 ms more CPU and twice its size in memory at the join (bench/README.md, 4b).
            data = obj["Body"].read()
        # The slot is for the image work; the claim and this read were round trips, made while other jobs used it.
        # Until it is free the upload waits in memory: at most `worker_concurrency` uploads do (the consumer holds
        # twice as many messages as slots before their image work).
        if not delivery.take_slot():
            raise _Stopping
        recipe = job.recipe if job.recipe is not None else s.recipes["default"]
        cropped = [r.gravity for r in recipe if r.fit is Fit.COVER]
        # The features asked for, plus faces when a rendition crops around them: found once, before those crops.
        features = features_to_run(job.analysis_features, cropped)
        analysed: list[Analysis] = []

        def faces_first(upright: Image.Image, metadata: ImageMetadata) -> Sequence[BoundingBox] | None:
            with log_context(stage="analysis"), timed(durations, "analysis"):
                source = SourceImage.from_upload(event.bucket, event.key, metadata)
                analysed.append(analyze(upright, source, s, self.clients, features))
            return face_boxes(analysed[0])

        with log_context(stage="image"), timed(durations, "image"):
            find_faces = faces_first if Gravity.FACES in cropped else None
            outcome = process_image(data, s, recipe, find_faces=find_faces)
        # Before the outputs are stored: an image the analysis service refuses fails the job without leaving any.
        if not analysed:
            with log_context(stage="analysis"), timed(durations, "analysis"):
                source = SourceImage.from_upload(event.bucket, event.key, outcome.metadata)
                analysed.append(analyze(outcome.upright, source, s, self.clients, features))
        analysis, renditions, metadata = analysed[0], outcome.renditions, outcome.metadata
        # Nothing big is held from here on (the upload's bytes, the decoded and upright images): what is left is
        # the encoded outputs and round trips, so the slot goes to the next job now.
        del data, outcome
        delivery.release_slot()
        with log_context(stage="store_outputs"), timed(durations, "store_outputs"):
            outputs = [
                OutputFile(
                    name=r.name,
                    key=output_key(job.job_id, r.name),
                    content_type=r.content_type,
                    width=r.width,
                    height=r.height,
                    bytes=len(r.data),
                    crop_note=r.crop_note,
                )
                for r in renditions
            ]

            def put(r: RenderedOutput, out: OutputFile) -> None:
                s3.put_object(Bucket=s.outputs_bucket, Key=out.key, Body=r.data, ContentType=r.content_type)

            # Concurrently: the PUTs are independent round trips (bench/README.md, Orchestration). All must succeed
            # before the result is recorded; the first failure is raised.
            list(self._uploads.map(put, renditions, outputs))
        return JobResult(metadata=metadata, outputs=outputs, analysis=stored_analysis(analysis))

    def notify(self, job: Job) -> None:
        """Publish a finished job's outcome and record that it was published: the one path for it (the sweeper's
        too), so that every outcome carries the same dedup id and is marked once it is out."""
        with log_context(stage="publish"):
            publish_outcome(self.clients.sns, self.topic_arn, job)
            self.store.mark_notified(job.job_id)
