"""/v1/jobs as a collection of the caller's jobs: list them (newest first, by status or by the client's own
reference) and delete one."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import ApiKeyDep, ClientsDep, JobStoreDep, SettingsDep
from api.errors import AUTH_ERRORS, responses
from api.routes.jobs import job_not_found, parse_job_id
from api.schemas import JobList, printable_ref
from core.deletion import remove_job_files
from core.errors import (
    DependencyUnavailableError,
    InternalError,
    InvalidCursorError,
    InvalidJobIdError,
    InvalidRequestError,
    JobNotFoundError,
)
from core.job_view import job_view
from core.jobs import JobStatus, utcnow
from core.listing import CLIENT_REF_MAX, DEFAULT_LIMIT, MAX_LIMIT, list_jobs

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

# The statuses a reader sees: `deleted` is only a tombstone's, never shown.
_LISTED = [s.value for s in JobStatus if s is not JobStatus.DELETED]


@router.get(
    "",
    summary="List your jobs, newest first",
    description="The jobs of your API key, newest first, `limit` at a time: pass `next_cursor` back as `cursor` for "
    "the next page. `status` keeps the jobs in one status; `client_ref` the jobs created with that reference "
    "(the lookup by your own file name or id). A page filtered by `status` may hold fewer than `limit` jobs, even "
    "none, and still have a `next_cursor`: keep going until it is `null`. Jobs appear and disappear from the list "
    "a moment after they are created or deleted.",
    response_description="A page of jobs, each as `GET /v1/jobs/{job_id}?words=false` shows it.",
    responses=responses(
        InvalidCursorError, *AUTH_ERRORS, InvalidRequestError, InternalError, DependencyUnavailableError
    ),
)
def list_my_jobs(
    api_key: ApiKeyDep,
    settings: SettingsDep,
    clients: ClientsDep,
    job_status: Annotated[
        JobStatus | None,
        Query(
            alias="status",
            description="Only jobs in this status, as `GET /v1/jobs/{job_id}` shows it (a pending job whose upload "
            "link expired is `expired`); `deleted` is refused: deleted jobs are gone.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many jobs per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="`next_cursor` of the previous page, as it is.")
    ] = None,
    client_ref: Annotated[
        str | None,
        Query(min_length=1, max_length=CLIENT_REF_MAX, description="Only jobs created with this `client_ref`."),
    ] = None,
) -> JobList:
    if job_status is JobStatus.DELETED:
        raise InvalidRequestError(
            f"Invalid request: query.status: deleted jobs are gone; use one of: {', '.join(_LISTED)}.",
            details={"errors": [{"location": "query.status", "message": "deleted jobs are not listed"}]},
        )
    try:
        printable_ref(client_ref)
    except ValueError as exc:
        raise InvalidRequestError(
            f"Invalid request: query.client_ref: {exc}.",
            details={"errors": [{"location": "query.client_ref", "message": str(exc)}]},
        ) from None
    now = utcnow()
    jobs, next_cursor = list_jobs(
        clients.dynamodb,
        settings.jobs_table,
        owner=api_key.key_id,
        now=now,
        limit=limit,
        client_ref=client_ref,
        status=job_status,
        cursor=cursor,
        # Stop paging while one more attempt could still finish before the request's deadline.
        reserve_seconds=settings.api_aws_connect_timeout_seconds + settings.api_aws_read_timeout_seconds,
    )
    return JobList(jobs=[job_view(job, clients, include_words=False, now=now) for job in jobs], next_cursor=next_cursor)


@router.delete(
    "/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a job and its files",
    description="Deletes the uploaded file, every output and the job's result; the job no longer appears in lists "
    "and reads as `404`. Works in any status: a job still processing is stopped from finishing, and a file "
    "uploaded later with the job's upload link is removed, never processed. What stays is a tombstone (the id, "
    "your key's id, times, no file name) until the job's retention ends, so that a late upload cannot bring the "
    "job back.",
    response_description="Deleted.",
    responses=responses(
        InvalidJobIdError,
        *AUTH_ERRORS,
        JobNotFoundError,
        InvalidRequestError,
        InternalError,
        DependencyUnavailableError,
    ),
)
def delete_job(
    api_key: ApiKeyDep,
    settings: SettingsDep,
    clients: ClientsDep,
    store: JobStoreDep,
    job_id: str = Path(description="The id returned when the job was created."),
) -> Response:
    canonical = parse_job_id(job_id)
    deleted = store.delete(canonical, owner=api_key.key_id)
    if deleted is None:
        current = store.get(canonical)
        if current is not None and current.owner == api_key.key_id and current.status is JobStatus.DELETED:
            # A retry after a failure between the tombstone and the files: finish removing them.
            remove_job_files(clients, current)
        raise job_not_found(canonical, settings)
    log.info("job deleted", extra={"fields": {"job_id": canonical}})
    remove_job_files(clients, deleted)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
