"""/v1/jobs: create a job with a presigned upload, then read its status and results."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Path, Response, status

from api.deps import ApiKeyDep, ClientsDep, JobStoreDep, SettingsDep
from api.errors import AUTH_ERRORS, VALIDATION_ERRORS, responses
from api.presign import download_url, upload_post
from api.schemas import CreateJobRequest, CreateJobResponse, JobView, OutputView, ResultView
from core.errors import FileTooLargeError, NotFoundError, RequestError, UnsupportedContentTypeError
from core.jobs import Job, JobErrorInfo, JobStatus, new_job, utcnow
from core.keys import upload_key

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_CREATE_ERRORS = responses(
    (413, "`size_bytes` is over the upload limit (`file_too_large`)."),
    (415, "`content_type` is not accepted (`unsupported_content_type`)."),
)
_GET_ERRORS = responses(
    (400, "The job id is not a UUID (`invalid_job_id`)."),
    (404, "No job has this id (`job_not_found`)."),
)

_EXPIRED = JobErrorInfo(
    code="upload_expired", message="No file was uploaded before the upload link expired; create a new job."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a job and get a presigned upload",
    description="Records the job as `upload_pending` and returns a presigned S3 POST. Upload the file with it; "
    "processing starts by itself once the upload lands.",
    responses={**AUTH_ERRORS, **_CREATE_ERRORS, **VALIDATION_ERRORS},
)
def create_job(
    body: CreateJobRequest,
    response: Response,
    _: ApiKeyDep,
    settings: SettingsDep,
    clients: ClientsDep,
    store: JobStoreDep,
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

    now = utcnow()
    job_id = str(uuid.uuid4())
    key = upload_key(job_id)
    job = new_job(
        job_id=job_id,
        filename=body.filename,
        content_type=content_type,
        declared_size=body.size_bytes,
        upload_key=key,
        upload_window=timedelta(seconds=settings.upload_url_ttl_seconds),
        retention=timedelta(days=settings.job_retention_days),
        now=now,
    )
    store.create(job)
    response.headers["Location"] = f"{router.prefix}/{job_id}"
    return CreateJobResponse(job_id=job_id, status=job.status, upload=upload_post(clients, key, content_type, now))


@router.get(
    "/{job_id}",
    summary="Get a job's status and results",
    description="`status` is one of upload_pending, processing, completed, failed, expired. Completed jobs carry "
    "metadata and presigned links to every output; failed ones an error code and message.",
    responses={**AUTH_ERRORS, **_GET_ERRORS},
)
def get_job(
    _: ApiKeyDep,
    clients: ClientsDep,
    store: JobStoreDep,
    job_id: str = Path(description="The id returned when the job was created.", examples=[str(uuid.UUID(int=1))]),
) -> JobView:
    try:
        canonical = str(uuid.UUID(job_id))
    except ValueError:
        raise RequestError(f"{job_id!r} is not a job id (a UUID).", code="invalid_job_id") from None
    job = store.get(canonical)
    if job is None:
        raise NotFoundError(f"No job has id {canonical}.", code="job_not_found")
    return _view(job, clients)


def _view(job: Job, clients: ClientsDep) -> JobView:
    current = job.status_at(utcnow())
    result = None
    if job.result is not None:
        outputs = [OutputView(**o.model_dump(), url=download_url(clients, o.key)) for o in job.result.outputs]
        result = ResultView(metadata=job.result.metadata, outputs=outputs, analysis=job.result.analysis)
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
