"""/v1/jobs: create a job with a presigned upload, then read its status and results."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status

from api.deps import ApiKeyDep, ClientsDep, JobStoreDep, SettingsDep
from api.errors import (
    INTERNAL_ERROR,
    INVALID_API_KEY,
    MISSING_API_KEY,
    VALIDATION_ERROR,
    DocumentedError,
    responses,
)
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
from core.analysis import analysis_view
from core.errors import FileTooLargeError, NotFoundError, RequestError, UnsupportedContentTypeError
from core.jobs import UPLOAD_EXPIRED, Job, JobErrorInfo, JobStatus, new_job, utcnow
from core.keys import upload_key

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

FILE_TOO_LARGE = DocumentedError(
    413,
    "file_too_large",
    "`size_bytes` is over the upload limit",
    "The file is 31457280 bytes; the limit is 20971520 bytes. Resize or compress it first.",
    {"max_bytes": 20971520},
)
UNSUPPORTED_CONTENT_TYPE = DocumentedError(
    415,
    "unsupported_content_type",
    "`content_type` is not an accepted image type",
    "Content type 'image/gif' is not accepted; send one of: image/jpeg, image/png.",
    {"accepted": ["image/jpeg", "image/png"]},
)
INVALID_JOB_ID = DocumentedError(
    400,
    "invalid_job_id",
    "the id in the path is not a UUID",
    "'not-a-uuid' is not a job id (a UUID): use the `job_id` that `POST /v1/jobs` returned.",
)
JOB_NOT_FOUND = DocumentedError(
    404,
    "job_not_found",
    "no job has this id",
    "No job has id 6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21. Check the id; jobs are deleted 30 days after they "
    "were created.",
)

_CREATE_ERRORS = responses(
    MISSING_API_KEY, INVALID_API_KEY, FILE_TOO_LARGE, UNSUPPORTED_CONTENT_TYPE, VALIDATION_ERROR, INTERNAL_ERROR
)
_GET_ERRORS = responses(
    INVALID_JOB_ID, MISSING_API_KEY, INVALID_API_KEY, JOB_NOT_FOUND, VALIDATION_ERROR, INTERNAL_ERROR
)

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
    "processing starts by itself once the upload lands.",
    response_description="The job, and the presigned POST to upload its file with.",
    responses=_CREATE_ERRORS,
)
def create_job(
    body: Annotated[CreateJobRequest, Body(openapi_examples=_CREATE_EXAMPLES)],
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
    return CreateJobResponse(
        job_id=job_id, status=job.status, upload=upload_post(clients, key, content_type, now, size=body.size_bytes)
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
    _: ApiKeyDep,
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
    try:
        canonical = str(uuid.UUID(job_id))
    except ValueError:
        raise RequestError(
            f"{job_id!r} is not a job id (a UUID): use the `job_id` that `POST /v1/jobs` returned.",
            code=INVALID_JOB_ID.code,
        ) from None
    job = store.get(canonical)
    if job is None:
        raise NotFoundError(
            f"No job has id {canonical}. Check the id; jobs are deleted {settings.job_retention_days} days after "
            "they were created.",
            code=JOB_NOT_FOUND.code,
        )
    return _view(job, clients, include_words=words)


def _view(job: Job, clients: ClientsDep, *, include_words: bool) -> JobView:
    current = job.status_at(utcnow())
    result = None
    if job.result is not None:
        outputs = [OutputView(**o.model_dump(), url=download_url(clients, o.key)) for o in job.result.outputs]
        analysis = None
        if job.result.analysis is not None:
            analysis = AnalysisView.model_validate(analysis_view(job.result.analysis, include_words=include_words))
        result = ResultView(metadata=job.result.metadata, outputs=outputs, analysis=analysis)
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
