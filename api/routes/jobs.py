"""/v1/jobs: create a job with a presigned upload, then read its status and results."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response, status

from api.deps import ApiKeyDep, ClientsDep, IdempotencyDep, JobStoreDep, SettingsDep
from api.errors import AUTH_ERRORS, BODY_ERRORS, responses
from api.params import JobIdDep
from api.presign import download_url, upload_post
from api.schemas import (
    CREATE_JOB_EXAMPLE,
    AnalysisView,
    CreateJobRequest,
    CreateJobResponse,
    JobView,
    OutputView,
    ResultView,
)
from core.analysis import Analysis
from core.errors import (
    DependencyUnavailableError,
    FileTooLargeError,
    IdempotencyKeyReusedError,
    InternalError,
    InvalidJobIdError,
    InvalidRequestError,
    JobNotFoundError,
    UnsupportedContentTypeError,
)
from core.idempotency import fingerprint, record_id
from core.jobs import UPLOAD_EXPIRED, Job, JobErrorInfo, JobStatus, new_job, utcnow
from core.keys import upload_key

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_CREATE_ERRORS = responses(
    *BODY_ERRORS,
    *AUTH_ERRORS,
    FileTooLargeError,
    UnsupportedContentTypeError,
    InvalidRequestError,
    IdempotencyKeyReusedError,
    InternalError,
    DependencyUnavailableError,
)
_GET_ERRORS = responses(
    InvalidJobIdError,
    *AUTH_ERRORS,
    JobNotFoundError,
    InvalidRequestError,
    InternalError,
    DependencyUnavailableError,
)

_CREATED_HEADERS = {
    "Location": {"description": "The job's URL.", "required": True, "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when an `Idempotency-Key` replayed the job an earlier request created.",
        "required": False,
        "schema": {"type": "string", "enum": ["true"]},
    },
}

_CREATE_EXAMPLES = {
    "jpeg": {"summary": "A JPEG photo", "value": CREATE_JOB_EXAMPLE},
    "png": {
        "summary": "A PNG screenshot",
        "value": {"filename": "screenshot.png", "content_type": "image/png", "size_bytes": 183211},
    },
}

_EXPIRED = JobErrorInfo(
    code=UPLOAD_EXPIRED, message="No file was uploaded before the upload link expired; create a new job."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a job and get a presigned upload",
    description="Records the job as `upload_pending` and returns a presigned S3 POST. Upload the file with it; "
    "processing starts by itself once the upload lands. Safe to retry with an `Idempotency-Key`: the same key and "
    "body within 24 hours return the same job (`201`, header `Idempotent-Replayed: true`).",
    response_description="The job, and the presigned POST to upload its file with.",
    responses={**_CREATE_ERRORS, 201: {"headers": _CREATED_HEADERS}},
)
def create_job(
    body: Annotated[CreateJobRequest, Body(openapi_examples=_CREATE_EXAMPLES)],
    response: Response,
    api_key: ApiKeyDep,
    settings: SettingsDep,
    clients: ClientsDep,
    store: JobStoreDep,
    idempotency: IdempotencyDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Any unique string (a UUID, say) that makes retrying this create safe: the same key and "
            "body within 24 hours return the same job; the same key with another body is refused with `409`.",
        ),
    ] = None,
) -> CreateJobResponse:
    content_type = body.content_type
    accepted = settings.accepted_content_types
    if content_type not in accepted:  # exactly one of the document's enum (api/openapi.py)
        raise UnsupportedContentTypeError(
            f"Content type {body.content_type!r} is not accepted; send one of: {', '.join(sorted(accepted))}.",
            details={"accepted": sorted(accepted)},
        )
    if body.size_bytes > settings.max_upload_bytes:
        raise FileTooLargeError(
            f"The file is {body.size_bytes} bytes; the limit is {settings.max_upload_bytes} bytes. "
            "Resize or compress it first.",
            details={"max_bytes": settings.max_upload_bytes},
        )

    now = utcnow()
    job_id = str(uuid.uuid4())
    if idempotency_key is not None:
        record = record_id(api_key.key_id, idempotency_key)
        job_id = idempotency.bind(record, fingerprint(body.model_dump(mode="json")), job_id, now)
    job = new_job(
        job_id=job_id,
        owner=api_key.key_id,
        filename=body.filename,
        content_type=content_type,
        declared_size=body.size_bytes,
        upload_key=upload_key(job_id),
        upload_window=timedelta(seconds=settings.upload_url_ttl_seconds),
        retention=timedelta(days=settings.job_retention_days),
        now=now,
    )
    # The job already stored under this id is either this very job (a retried put whose first attempt landed) or,
    # with an idempotency key, the job an earlier request created: replay it.
    stored = store.create(job)
    if stored != job:
        if idempotency_key is None:  # a uuid4 collision: never expected
            raise RuntimeError(f"job id {job_id} is taken by another job")
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"{router.prefix}/{job_id}"
    return CreateJobResponse(
        job_id=job_id,
        status=stored.status_at(now),
        upload=upload_post(
            clients, stored.upload_key, stored.content_type, stored.upload_expires_at, size=stored.declared_size
        ),
    )


@router.get(
    "/{job_id}",
    summary="Get a job's status and results",
    description="`status` is one of upload_pending, processing, completed, failed, expired. Completed jobs carry "
    "metadata, presigned links to every output and the text and labels found (`result.analysis`); failed ones an "
    "error code and message. Light clients can leave out the per-word geometry with `?words=false`.",
    response_description="The job as it is now; `result` once it completed, `error` once it failed.",
    responses=_GET_ERRORS,
)
def get_job(
    api_key: ApiKeyDep,
    settings: SettingsDep,
    clients: ClientsDep,
    store: JobStoreDep,
    job_id: JobIdDep,
    words: bool = Query(
        True,
        description="`false` leaves out `result.analysis.words` (it becomes `null`), the per-word boxes that make "
        "up most of a text-heavy result; `full_text` and `lines` stay.",
    ),
) -> JobView:
    job = store.get(job_id)
    # Another key's job answers exactly like a job that does not exist: ids of others' jobs are not confirmed.
    if job is None or job.owner != api_key.key_id:
        raise JobNotFoundError(
            f"No job has id {job_id}. Check the id; jobs are deleted {settings.job_retention_days} days after "
            "they were created."
        )
    return _view(job, clients, include_words=words)


def analysis_view(analysis: Analysis, *, include_words: bool) -> AnalysisView:
    """A stored analysis as the API shows it: with `words` set to None (the bulk of it) unless asked for."""
    fields = dict(analysis)  # the validated field values, reused as they are
    if not include_words:
        fields["words"] = None
    return AnalysisView(**fields)


def _view(job: Job, clients: ClientsDep, *, include_words: bool) -> JobView:
    current = job.status_at(utcnow())
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
        content_type=job.content_type,
        size_bytes=job.declared_size,
        created_at=job.created_at,
        updated_at=job.updated_at,
        upload_expires_at=job.upload_expires_at,
        attempts=job.attempts,
        error=_EXPIRED if current is JobStatus.EXPIRED else job.error,
        result=result,
    )
