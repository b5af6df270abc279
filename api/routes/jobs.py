"""/v1/jobs: create a job with a presigned upload, then read its status and results."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response, status

from api.deps import ApiKeyDep, ClientsDep, IdempotencyDep, JobStoreDep, SettingsDep
from api.errors import AUTH_ERRORS, BODY_ERRORS, responses
from api.presign import upload_post
from api.schemas import CREATE_JOB_EXAMPLE, CreateJobRequest, CreateJobResponse, JobView
from core.config import Settings
from core.errors import (
    CallbackUrlNotAllowedError,
    DependencyUnavailableError,
    FileTooLargeError,
    IdempotencyKeyReusedError,
    InternalError,
    InvalidCallbackUrlError,
    InvalidJobIdError,
    InvalidRequestError,
    JobNotFoundError,
    UnsupportedContentTypeError,
)
from core.idempotency import fingerprint, record_id
from core.job_view import job_view
from core.jobs import JobStatus, new_job, utcnow
from core.keys import upload_key
from core.webhooks.policy import check_callback_url

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_CREATE_ERRORS = responses(
    *BODY_ERRORS,
    *AUTH_ERRORS,
    FileTooLargeError,
    UnsupportedContentTypeError,
    InvalidRequestError,
    InvalidCallbackUrlError,
    CallbackUrlNotAllowedError,
    IdempotencyKeyReusedError,
    JobNotFoundError,
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

_CREATE_EXAMPLES = {
    "jpeg": {"summary": "A JPEG photo", "value": CREATE_JOB_EXAMPLE},
    "png": {
        "summary": "A PNG screenshot",
        "value": {"filename": "screenshot.png", "content_type": "image/png", "size_bytes": 183211},
    },
    "analysis": {
        "summary": "Choosing the analysis: unsafe content and faces, no text",
        "value": {**CREATE_JOB_EXAMPLE, "analysis": ["labels", "moderation", "faces"]},
    },
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a job and get a presigned upload",
    description="Records the job as `upload_pending` and returns a presigned S3 POST. Upload the file with it; "
    "processing starts by itself once the upload lands. Safe to retry with an `Idempotency-Key`: the same key and "
    "body within 24 hours return the same job (`201`, header `Idempotent-Replayed: true`).",
    response_description="The job, and the presigned POST to upload its file with.",
    responses=_CREATE_ERRORS,
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
    content_type = body.content_type.split(";")[0].strip().lower()
    accepted = settings.accepted_content_types
    if content_type not in accepted:
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

    callback_url = check_callback_url(body.callback_url, settings) if body.callback_url is not None else None

    now = utcnow()
    job_id = str(uuid.uuid4())
    if idempotency_key is not None:
        record = record_id(api_key.key_id, idempotency_key)
        job_id = idempotency.bind(record, fingerprint(body.identity()), job_id, now)
    job = new_job(
        job_id=job_id,
        owner=api_key.key_id,
        filename=body.filename,
        client_ref=body.client_ref,
        content_type=content_type,
        declared_size=body.size_bytes,
        upload_key=upload_key(job_id),
        analysis_features=body.analysis,
        upload_window=timedelta(seconds=settings.upload_url_ttl_seconds),
        retention=timedelta(days=settings.job_retention_days),
        now=now,
        callback_url=callback_url,
    )
    # The job already stored under this id is either this very job (a retried put whose first attempt landed) or,
    # with an idempotency key, the job an earlier request created: replay it.
    stored = store.create(job)
    if stored != job:
        if idempotency_key is None:  # a uuid4 collision: never expected
            raise RuntimeError(f"job id {job_id} is taken by another job")
        if stored.status is JobStatus.DELETED:
            raise JobNotFoundError(
                f"The job this Idempotency-Key created ({job_id}) was deleted; send a new Idempotency-Key to create "
                "another."
            )
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
    job_id: str = Path(description="The id returned when the job was created.", examples=[str(uuid.UUID(int=1))]),
    words: bool = Query(
        True,
        description="`false` leaves out `result.analysis.words` (it becomes `null`), the per-word boxes that make "
        "up most of a text-heavy result; `full_text` and `lines` stay.",
    ),
) -> JobView:
    canonical = parse_job_id(job_id)
    job = store.get(canonical)
    if job is None or job.owner != api_key.key_id or job.status is JobStatus.DELETED:
        raise job_not_found(canonical, settings)
    return job_view(job, clients, include_words=words, now=utcnow())


def parse_job_id(job_id: str) -> str:
    """The job id of a path, canonical; invalid_job_id when it is not a UUID."""
    try:
        return str(uuid.UUID(job_id))
    except ValueError:
        raise InvalidJobIdError(
            f"{job_id!r} is not a job id (a UUID): use the `job_id` that `POST /v1/jobs` returned."
        ) from None


def job_not_found(job_id: str, settings: Settings) -> JobNotFoundError:
    """Another key's job, and a deleted one, answer exactly like a job that does not exist: ids of others' jobs are
    not confirmed."""
    restart = " The local stack keeps its state in memory: jobs from before its last restart are gone."
    return JobNotFoundError(
        f"No job has id {job_id}. Check the id; jobs are deleted {settings.job_retention_days} days after they were "
        f"created.{restart if settings.environment == 'local' else ''}"
    )
