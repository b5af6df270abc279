"""A stored job as `GET /v1/jobs/{id}` shows it, with presigned download links: built here, so that the API's answer
and the webhook the worker POSTs when the job ends (worker/callbacks.py) are the same document."""

from __future__ import annotations

from datetime import datetime

from core.analysis import Analysis
from core.aws import AwsClients
from core.jobs import UPLOAD_EXPIRED, Job, JobErrorInfo, JobStatus, utcnow
from core.views import AnalysisView, JobView, OutputView, ResultView

EXPIRED = JobErrorInfo(
    code=UPLOAD_EXPIRED, message="No file was uploaded before the upload link expired; create a new job."
)


def download_url(clients: AwsClients, key: str) -> str:
    return clients.s3_public.generate_presigned_url(
        "get_object",
        Params={"Bucket": clients.settings.outputs_bucket, "Key": key},
        ExpiresIn=clients.settings.download_url_ttl_seconds,
    )


def analysis_view(analysis: Analysis, *, include_words: bool) -> AnalysisView:
    """A stored analysis as the API shows it: with `words` set to None (the bulk of it) unless asked for."""
    fields = dict(analysis)  # the validated field values, reused as they are
    if not include_words:
        fields["words"] = None
    return AnalysisView(**fields)


def job_view(job: Job, clients: AwsClients, *, include_words: bool = True, now: datetime | None = None) -> JobView:
    current = job.status_at(now or utcnow())
    result = None
    if job.result is not None:
        outputs = [OutputView(**o.model_dump(), url=download_url(clients, o.key)) for o in job.result.outputs]
        analysis = job.result.analysis
        view = analysis_view(analysis, include_words=include_words) if analysis is not None else None
        result = ResultView(metadata=job.result.metadata, outputs=outputs, analysis=view)
    return JobView(
        job_id=job.job_id,
        status=current,
        filename=job.filename,
        client_ref=job.client_ref,
        content_type=job.content_type,
        size_bytes=job.declared_size,
        created_at=job.created_at,
        updated_at=job.updated_at,
        upload_expires_at=job.upload_expires_at,
        attempts=job.attempts,
        error=EXPIRED if current is JobStatus.EXPIRED else job.error,
        result=result,
        callback_url=job.callback_url,
        callbacks=job.callbacks,
    )
