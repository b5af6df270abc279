"""`imgpipe submit`, `status`, `jobs` and `delete`: send files as jobs, follow them to their end, list and delete
them, and the exit codes that tell a script how it went. Submit runs in four steps: plan (check every file) -> create
and upload -> follow -> report.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.api_keys import LOCAL_DEV_API_KEY
from core.jobs import TERMINAL, JobStatus
from core.listing import CLIENT_REF_MAX, MAX_LIMIT

if TYPE_CHECKING:
    from cli.client import ApiClient
    from cli.report import Lines, Live
    from core.views import JobView

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

EPILOG = """\b
Exit codes:
  0  every job completed (or, without --wait, every file was uploaded)
  1  a job failed or expired, or did not end within --timeout
  2  wrong usage, or a file refused before upload (too large, not an accepted type)
  3  the API or storage could not be used: unreachable, bad API key, request refused
  130  interrupted (Ctrl-C); the jobs already created carry on, and their ids are printed

\b
Start here:
  make dev                                  the whole stack on this machine (prints URLs and the key)
  imgpipe submit --wait samples/receipt.png upload, wait, print thumbnails, metadata and text
  imgpipe status JOB_ID                     one job's status and results
  imgpipe jobs --status failed              your jobs, newest first (--ref REF: those submitted with --ref REF)
  imgpipe delete JOB_ID                     delete a job, its file and its outputs
"""

# After these no request can succeed: stop at once instead of trying the next file.
_FATAL_API_ERRORS = frozenset({"api_unreachable", "invalid_api_key", "missing_api_key"})


@dataclass
class Entry:
    """One file of a submit: what it will be sent as, its job, and how that job is doing."""

    path: Path
    size: int
    content_type: str
    job_id: str | None = None
    status: str = "pending"  # before the job exists: pending, uploading; then the job's status
    job: JobView | None = None
    error: tuple[str, str] | None = None  # (code, message) when the API or storage refused
    task: Any = None  # the progress bar's task, when there is one


def follow(
    get_job: Callable[[str], JobView],
    last_seen: Mapping[str, str | None],
    *,
    timeout: float,
    on_change: Callable[[str, JobView], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, JobView]:
    """Poll the jobs of `last_seen` (job id -> the status known so far, or None), round robin, until every one has
    ended or `timeout` seconds have passed; return the last view of each. `on_change(job_id, job)` is called each
    time a job's status differs from the one seen before. The pause between rounds grows from 0.1 s to 2 s."""
    deadline = clock() + timeout
    seen = dict(last_seen)
    latest: dict[str, JobView] = {}
    delay = 0.1
    while True:
        for job_id in [j for j in seen if j not in latest or latest[j].status not in TERMINAL]:
            job = latest[job_id] = get_job(job_id)
            if job.status != seen[job_id] and on_change is not None:
                on_change(job_id, job)
            seen[job_id] = job.status
        if all(job.status in TERMINAL for job in latest.values()) or clock() > deadline:
            return latest
        sleep(delay)
        delay = min(delay * 1.5, 2.0)


@contextmanager
def _api_client(api_url: str, api_key: str) -> Iterator[ApiClient]:
    """A client for the command's requests; when the API or storage cannot be used, print why and exit
    EXIT_API_ERROR."""
    from cli.client import ApiClient, ApiError

    client = ApiClient(api_url, api_key)
    try:
        yield client
    except ApiError as exc:
        click.secho(f"{exc.code}: {exc.message}", fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    finally:
        client.close()


def _check_ref(value: str | None) -> str | None:
    """Refuse before any upload a reference the API would refuse for every file (exit EXIT_USAGE)."""
    if value is not None and not (1 <= len(value) <= CLIENT_REF_MAX and value.isprintable()):
        raise click.BadParameter(f"must be 1-{CLIENT_REF_MAX} printable characters (no tabs or line breaks)")
    return value


def _client_options(func: Any) -> Any:
    func = click.option(
        "--api",
        "api_url",
        envvar="IMGPIPE_API_URL",
        default="http://127.0.0.1:8000",
        show_default=True,
        help="Base URL of the API [env: IMGPIPE_API_URL].",
    )(func)
    return click.option(
        "--api-key",
        envvar="IMGPIPE_API_KEY",
        default=LOCAL_DEV_API_KEY,
        show_default=True,
        help="X-API-Key to send [env: IMGPIPE_API_KEY].",
    )(func)


def _plan(client: ApiClient, files: tuple[Path, ...], *, check: bool, content_type: str | None) -> list[Entry]:
    """Decide what each file is sent as; exit EXIT_USAGE, before any upload, if any file would be refused."""
    from cli.client import plan_file

    accepted: list[str] | None = None
    max_bytes: int | None = None
    if check:
        limits = client.get_limits()
        accepted, max_bytes = limits.accepted_content_types, limits.max_upload_bytes
    entries: list[Entry] = []
    refused = False
    for path in files:
        try:
            plan = plan_file(path, accepted=accepted, max_bytes=max_bytes, content_type=content_type)
        except OSError as exc:
            click.secho(f"{path}: cannot read it: {exc.strerror or exc}", fg="red", err=True)
            refused = True
            continue
        for problem in plan.problems:
            click.secho(f"{path}: refused: {problem}", fg="red", err=True)
        refused |= bool(plan.problems)
        entries.append(Entry(path=path, size=plan.size, content_type=plan.content_type))
    if refused:
        click.secho(
            "Nothing was uploaded. Fix or leave out the files above (--no-check sends them anyway).", fg="red", err=True
        )
        sys.exit(EXIT_USAGE)
    return entries


def _send(client: ApiClient, entries: list[Entry], progress: Lines | Live, client_ref: str | None) -> None:
    """Create each file's job and upload the file; a refused file is reported and skipped, unless no request can
    succeed any more (exit EXIT_API_ERROR)."""
    from cli.client import ApiError, upload

    for entry in entries:
        progress.added(entry)
    for entry in entries:
        try:
            created = client.create_job(entry.path, entry.content_type, client_ref)
            entry.job_id, entry.status = created.job_id, "uploading"
            upload(
                created.upload,
                entry.path,
                entry.content_type,
                on_progress=lambda done, e=entry: progress.sent(e, done),  # type: ignore[misc]
            )
        except ApiError as exc:
            entry.error = (exc.code, exc.message)
            progress.refused(entry)
            if exc.code in _FATAL_API_ERRORS:
                sys.exit(EXIT_API_ERROR)
            continue
        entry.status = created.status
        progress.uploaded(entry)


def _follow(client: ApiClient, entries: list[Entry], timeout: float, progress: Lines | Live) -> None:
    sent = {e.job_id: e for e in entries if e.job_id and e.error is None}

    def changed(job_id: str, job: JobView) -> None:
        progress.changed(sent[job_id], job)

    latest = follow(client.get_job, {j: e.status for j, e in sent.items()}, timeout=timeout, on_change=changed)
    for job_id, job in latest.items():
        sent[job_id].job, sent[job_id].status = job, job.status


def _exit_code(entries: list[Entry], wait: bool) -> int:
    if any(e.error for e in entries):
        return EXIT_API_ERROR
    if wait and any(e.status != JobStatus.COMPLETED for e in entries):
        return EXIT_JOB_FAILED
    return EXIT_OK


@click.command(epilog=EPILOG)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait/--no-wait", default=False, help="Wait until every job ends and show the outcome.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for the jobs to end with --wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON on stdout (for scripts); no progress.")
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Check each file before uploading anything: its size and type against the API's limits, and that its "
    "bytes are an accepted image whatever its name says. --no-check sends files as they are and lets the API and "
    "the pipeline decide.",
)
@click.option(
    "--strict", is_flag=True, help="No effect, kept for old scripts: what it did (refuse non-images) is the default."
)
@click.option("--content-type", help="Declare this MIME type for every file instead of detecting it.")
@click.option(
    "--ref",
    "client_ref",
    callback=lambda _ctx, _param, value: _check_ref(value),
    help=f"Your own reference for the jobs (an order number, your file id; up to {CLIENT_REF_MAX} printable "
    "characters), given to every FILE's job: `imgpipe jobs --ref REF` lists them.",
)
@_client_options
def submit(
    files: tuple[Path, ...],
    wait: bool,
    timeout: float,
    as_json: bool,
    check: bool,
    strict: bool,
    content_type: str | None,
    client_ref: str | None,
    api_url: str,
    api_key: str,
) -> None:
    """Create a job per FILE and upload it; with --wait, follow each job to its end.

    Before uploading anything, asks the API for its limits (which also checks the API is reachable and the key
    is good) and refuses files over the size limit or of a type it does not accept. A progress bar per file
    shows the upload, then the job's status; a summary table follows.
    """
    from cli import report

    with _api_client(api_url, api_key) as client:
        entries = _plan(client, files, check=check, content_type=content_type)
        try:
            with report.progress(as_json) as progress:
                _send(client, entries, progress, client_ref)
                if wait:
                    _follow(client, entries, timeout, progress)
        except KeyboardInterrupt:
            # The jobs go on without us: say how to follow each, as a shell does for an interrupted command.
            report.interrupted(entries, as_json=as_json, api_url=client.base_url)
            sys.exit(EXIT_INTERRUPTED)
    report.submitted(entries, wait=wait, as_json=as_json, api_url=client.base_url)
    sys.exit(_exit_code(entries, wait))


@click.command(epilog=EPILOG)
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.option("--wait", is_flag=True, help="Wait until the job ends.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait with --wait.")
@_client_options
def status(job_id: str, as_json: bool, wait: bool, timeout: float, api_url: str, api_key: str) -> None:
    """Show one job's status and results (download links, metadata, text)."""
    from cli import report

    with _api_client(api_url, api_key) as client:
        job = follow(client.get_job, {job_id: None}, timeout=timeout)[job_id] if wait else client.get_job(job_id)
    report.status(job_id, job, as_json=as_json)
    if job.status in (JobStatus.FAILED, JobStatus.EXPIRED) or (wait and job.status is not JobStatus.COMPLETED):
        sys.exit(EXIT_JOB_FAILED)
    sys.exit(EXIT_OK)


_LISTED = [s.value for s in JobStatus if s is not JobStatus.DELETED]


@click.command(epilog=EPILOG)
@click.option("--status", "job_status", type=click.Choice(_LISTED), help="Only jobs in this status.")
@click.option(
    "--ref",
    "client_ref",
    callback=lambda _ctx, _param, value: _check_ref(value),
    help="Only jobs submitted with --ref.",
)
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help=f"Show at most this many jobs (fetched {MAX_LIMIT} a page).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as a JSON array, each as `status --json` does.")
@_client_options
def jobs(job_status: str | None, client_ref: str | None, limit: int, as_json: bool, api_url: str, api_key: str) -> None:
    """List your jobs, newest first: all of them, those in one --status, or those submitted with --ref."""
    from cli import report

    found: list[JobView] = []
    cursor: str | None = None
    with _api_client(api_url, api_key) as client:
        while len(found) < limit:
            page = client.list_jobs(
                limit=min(MAX_LIMIT, limit - len(found)), status=job_status, client_ref=client_ref, cursor=cursor
            )
            found.extend(page.jobs)
            cursor = page.next_cursor
            if cursor is None:
                break
    report.job_list(found, more=cursor is not None, as_json=as_json)
    sys.exit(EXIT_OK)


@click.command(epilog=EPILOG)
@click.argument("job_id")
@_client_options
def delete(job_id: str, api_url: str, api_key: str) -> None:
    """Delete a job: its uploaded file, its outputs and its result. This cannot be undone."""
    with _api_client(api_url, api_key) as client:
        client.delete_job(job_id)
    click.echo(f"{job_id}: deleted")
    sys.exit(EXIT_OK)
