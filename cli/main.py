"""The `imgpipe` command: run the services, the local stack, and submit images.

Exit codes: 0 success; 1 a job failed or expired (or did not end within --timeout); 2 wrong usage, or a file
refused before upload; 3 the API or storage could not be used (unreachable, bad API key, request refused).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.config import Settings, get_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from cli.client import ApiClient

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
EXIT_API_ERROR = 3

_EPILOG = """\b
Exit codes:
  0  every job completed (or, without --wait, every file was uploaded)
  1  a job failed or expired, or did not end within --timeout
  2  wrong usage, or a file refused before upload (too large, not an accepted type)
  3  the API or storage could not be used: unreachable, bad API key, request refused

\b
Start here:
  make dev                                  the whole stack on this machine (prints URLs and the key)
  imgpipe submit --wait photo.jpg           upload, wait, print thumbnails, metadata and text
  imgpipe status JOB_ID                     one job's status and results
"""


@click.group(epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """imgpipe: upload images, get thumbnails, metadata and text back."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def api(host: str, port: int) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_config=None, proxy_headers=True)


@cli.command()
def worker() -> None:
    """Run a worker: long-poll the queue and process uploads until SIGTERM/SIGINT."""
    from worker.main import run

    sys.exit(run(get_settings()))


@cli.command()
def provision() -> None:
    """Create every resource on the emulator at IMGPIPE_AWS_ENDPOINT_URL (idempotent)."""
    from core.aws import AwsClients
    from core.provision import provision as create_resources

    settings = get_settings()
    if not settings.aws_endpoint_url:
        raise click.UsageError(
            "provision is for emulators: set IMGPIPE_AWS_ENDPOINT_URL (Terraform creates AWS resources)"
        )
    done = create_resources(AwsClients(settings))
    click.echo(json.dumps(done.__dict__, indent=2))


def _ocr_installed(settings: Settings) -> bool:
    from worker.analysis.local import OcrUnavailableError, check_available

    try:
        check_available(settings)  # the worker's own start-up check: it imports and loads nothing
    except OcrUnavailableError:
        return False
    return True


def _dev_settings() -> Settings:
    """Settings from the environment. Text analysis defaults to the offline OCR engine (`local`); when nobody chose
    and the `ocr` extra is missing it is turned off, so the stack still starts (the banner says how to get it)."""
    settings = Settings()
    if "analysis_engine" not in settings.model_fields_set and not _ocr_installed(settings):
        settings = settings.model_copy(update={"analysis_engine": "off"})
    return settings


def _engine_note(settings: Settings) -> str:
    if settings.analysis_engine == "off":
        return "off (offline OCR: pip install -e '.[ocr]', or set IMGPIPE_ANALYSIS_ENGINE)"
    return settings.analysis_engine


@cli.command()
@click.option("--port", default=8000, show_default=True, type=int, help="API port on 127.0.0.1.")
@click.option("--moto-port", default=5000, show_default=True, type=int, help="Emulator port on 127.0.0.1.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes to run.")
def dev(port: int, moto_port: int, workers: int) -> None:
    """Run the whole pipeline locally on an embedded AWS emulator (moto) until Ctrl-C."""
    from cli.processes import PortInUseError
    from cli.stack import start_local_stack

    settings = _dev_settings()
    click.echo("starting moto, provisioning, starting the API and workers...")
    try:
        stack = start_local_stack(settings, api_port=port, moto_port=moto_port, workers=workers, quiet=False)
    except PortInUseError as exc:
        raise click.ClickException(f"{exc}: stop it, or choose other ports with --port / --moto-port") from None
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    assert stack.api is not None
    key = stack.settings.api_keys[0].get_secret_value()
    url = stack.api.url
    click.secho(
        "\n".join(
            [
                "",
                "imgpipe local stack is up",
                f"  Results page : {url}/ui        (drop an image, see thumbnails and text)",
                f"  Swagger UI   : {url}/docs      (Authorize with the key below)",
                f"  API          : {url}",
                f"  API key      : {key}",
                f"  emulator     : {stack.moto.url}",
                f"  text engine  : {_engine_note(stack.settings)}",
                f"  try          : imgpipe submit --api {url} --api-key {key} --wait photo.jpg",
                "Ctrl-C stops everything.",
                "",
            ]
        ),
        fg="green",
    )
    try:
        while not stopping.wait(0.5):
            dead = [s.name for s in [stack.moto, stack.api, *stack.workers] if not s.alive()]
            if dead:
                click.secho(f"{', '.join(dead)} exited; stopping the stack", fg="red", err=True)
                break
    finally:
        click.echo("stopping...")
        stack.stop()


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
        default="imgpipe-local-dev-key",
        show_default=True,
        help="X-API-Key to send [env: IMGPIPE_API_KEY].",
    )(func)


def _human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _describe(job: dict[str, Any]) -> str:
    status = job["status"]
    if status == "completed" and job.get("result"):
        meta = job["result"]["metadata"]
        outputs = ", ".join(o["name"] for o in job["result"]["outputs"])
        return f"completed  {meta['format']} {meta['width']}x{meta['height']}  outputs: {outputs}"
    if job.get("error"):
        return f"{status}  {job['error']['code']}: {job['error']['message']}"
    return str(status)


def _text_of(job: dict[str, Any]) -> str | None:
    analysis = (job.get("result") or {}).get("analysis") or {}
    text = analysis.get("full_text")
    return str(text) if text else None


# ---- submit: one entry per file, reported live (terminal) or as lines (pipes, CI) -------------------------------


@dataclass
class _Entry:
    path: Path
    size: int
    content_type: str
    job_id: str | None = None
    status: str = "pending"
    job: dict[str, Any] | None = None
    error: tuple[str, str] | None = None  # (code, message) when the API or storage refused
    task: Any = None


class _Lines:
    """Progress as plain lines on stdout: what a pipe, a log or CI sees."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def added(self, entry: _Entry) -> None:
        return None

    def sent(self, entry: _Entry, done: int) -> None:
        return None

    def uploaded(self, entry: _Entry) -> None:
        if not self.quiet:
            click.echo(f"{entry.path}: job {entry.job_id} uploaded")

    def changed(self, entry: _Entry, job: dict[str, Any]) -> None:
        if self.quiet:
            return
        if job["status"] in ("completed", "failed", "expired"):
            colour = "green" if job["status"] == "completed" else "red"
            click.secho(f"{entry.path}: {_describe(job)}", fg=colour)
        else:
            click.echo(f"{entry.path}: {job['status']}")

    def refused(self, entry: _Entry) -> None:
        assert entry.error is not None
        click.secho(f"{entry.path}: {entry.error[0]}: {entry.error[1]}", fg="red", err=True)


_STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "expired": "red",
    "refused": "red",
    "processing": "yellow",
    "uploaded": "cyan",
    "uploading": "cyan",
}


class _Live:
    """A rich progress bar per file on stderr: upload bytes, then the job's status."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

        self.progress: Progress = Progress(
            TextColumn("{task.fields[name]}", style="bold"),
            BarColumn(bar_width=28),
            DownloadColumn(),
            TextColumn("{task.fields[status]}"),
            console=console,
        )

    def __enter__(self) -> _Live:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def _set(self, entry: _Entry, status: str, **kwargs: Any) -> None:
        style = _STATUS_STYLE.get(status, "white")
        self.progress.update(entry.task, status=f"[{style}]{status}[/]", **kwargs)

    def added(self, entry: _Entry) -> None:
        task: TaskID = self.progress.add_task(
            "", total=max(entry.size, 1), name=entry.path.name, status="[dim]creating job[/]"
        )
        entry.task = task

    def sent(self, entry: _Entry, done: int) -> None:
        self._set(entry, "uploading", completed=done)

    def uploaded(self, entry: _Entry) -> None:
        self._set(entry, "uploaded", completed=max(entry.size, 1))

    def changed(self, entry: _Entry, job: dict[str, Any]) -> None:
        status = job["status"]
        detail = ""
        if status == "completed" and job.get("result"):
            meta = job["result"]["metadata"]
            detail = f" {meta['format']} {meta['width']}x{meta['height']}"
        elif job.get("error"):
            detail = f" {job['error']['code']}"
        self._set(entry, status if status != "upload_pending" else "uploaded")
        if detail:
            self.progress.update(entry.task, status=f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]{detail}")

    def refused(self, entry: _Entry) -> None:
        assert entry.error is not None
        self._set(entry, "refused")
        self.progress.console.print(f"[red]{entry.path}: {entry.error[0]}: {entry.error[1]}[/]")


def _summary(entries: list[_Entry], console: Console) -> None:
    from rich.table import Table

    table = Table()
    table.add_column("file", overflow="fold")
    table.add_column("job", no_wrap=True, style="dim")
    table.add_column("status")
    table.add_column("result", overflow="fold")
    for entry in entries:
        job = entry.job or {}
        status = "refused" if entry.error else entry.status
        status = "uploaded" if status == "upload_pending" else status
        if entry.error:
            result = f"{entry.error[0]}: {entry.error[1]}"
        elif status == "completed" and job.get("result"):
            meta = job["result"]["metadata"]
            outputs = len(job["result"]["outputs"])
            result = f"{meta['format']} {meta['width']}x{meta['height']}, {outputs} outputs"
            text = _text_of(job)
            if text:
                first = text.splitlines()[0]
                more = "..." if len(first) > 40 or len(text.splitlines()) > 1 else ""
                result += f', text: "{first[:40]}{more}"'
        elif job.get("error"):
            result = f"{job['error']['code']}: {job['error']['message']}"
        elif status == "uploaded":
            result = f"uploaded; follow it with: imgpipe status {entry.job_id}"
        else:
            result = f"not finished yet; follow it with: imgpipe status --wait {entry.job_id}"
        style = _STATUS_STYLE.get(status, "white")
        table.add_row(str(entry.path), entry.job_id or "-", f"[{style}]{status}[/]", result)
    console.print(table)


def _follow(client: ApiClient, entries: list[_Entry], timeout: float, reporter: _Lines | _Live) -> None:
    """Poll every uploaded job, round robin, until each ends or `timeout` passes."""
    deadline = time.monotonic() + timeout
    pending = [e for e in entries if e.job_id and e.error is None]
    delay = 0.1
    while pending:
        for entry in list(pending):
            assert entry.job_id is not None
            job = client.get_job(entry.job_id)
            if job["status"] != entry.status:
                reporter.changed(entry, job)
            entry.job, entry.status = job, job["status"]
            if entry.status in ("completed", "failed", "expired"):
                pending.remove(entry)
        if not pending or time.monotonic() > deadline:
            return
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


@cli.command(epilog=_EPILOG)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait/--no-wait", default=False, help="Wait until every job ends and show the outcome.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for the jobs to end with --wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON on stdout (for scripts); no progress.")
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Check each file against the API's limits (size, type) before uploading anything. --no-check sends "
    "files as they are and lets the API and the pipeline decide.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Also refuse files whose bytes are not an image (by default they are sent, and their job fails with "
    "unsupported_format).",
)
@click.option("--content-type", help="Declare this MIME type for every file instead of detecting it.")
@_client_options
def submit(
    files: tuple[Path, ...],
    wait: bool,
    timeout: float,
    as_json: bool,
    check: bool,
    strict: bool,
    content_type: str | None,
    api_url: str,
    api_key: str,
) -> None:
    """Create a job per FILE and upload it; with --wait, follow each job to its end.

    Before uploading anything, asks the API for its limits (which also checks the API is reachable and the key
    is good) and refuses files over the size limit or of a type it does not accept. A progress bar per file
    shows the upload, then the job's status; a summary table follows.
    """
    from rich.console import Console

    from cli.client import ApiClient, ApiError, plan_file, upload

    client = ApiClient(api_url, api_key)
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = 160  # a log or a pipe: wide enough that job ids and messages stay on one line
    err = Console(stderr=True, highlight=False)
    try:
        accepted: list[str] | None = None
        max_bytes: int | None = None
        if check:
            limits = client.get_limits()
            accepted, max_bytes = limits["accepted_content_types"], limits["max_upload_bytes"]

        entries: list[_Entry] = []
        refused = False
        for path in files:
            try:
                plan = plan_file(path, accepted=accepted, max_bytes=max_bytes, content_type=content_type, strict=strict)
            except OSError as exc:
                click.secho(f"{path}: cannot read it: {exc.strerror or exc}", fg="red", err=True)
                refused = True
                continue
            for problem in plan.problems:
                click.secho(f"{path}: refused: {problem}", fg="red", err=True)
            for warning in [] if plan.problems else plan.warnings:
                click.secho(f"{path}: warning: {warning}", fg="yellow", err=True)
            refused |= bool(plan.problems)
            entries.append(_Entry(path=path, size=plan.size, content_type=plan.content_type))
        if refused:
            click.secho(
                "Nothing was uploaded. Fix or leave out the files above (--no-check sends them anyway).",
                fg="red",
                err=True,
            )
            sys.exit(EXIT_USAGE)

        live = err.is_terminal and not as_json
        reporter: _Lines | _Live = _Live(err) if live else _Lines(quiet=as_json)
        with reporter:
            for entry in entries:
                reporter.added(entry)
            for entry in entries:
                try:
                    created = client.create_job(entry.path, entry.content_type)
                    entry.job_id, entry.status = created["job_id"], "uploading"
                    upload(
                        created["upload"],
                        entry.path,
                        entry.content_type,
                        on_progress=lambda done, e=entry: reporter.sent(e, done),  # type: ignore[misc]
                    )
                except ApiError as exc:
                    entry.error = (exc.code, exc.message)
                    reporter.refused(entry)
                    if exc.code in ("api_unreachable", "invalid_api_key", "missing_api_key"):
                        sys.exit(EXIT_API_ERROR)
                    continue
                entry.status = created["status"]
                reporter.uploaded(entry)
            if wait:
                _follow(client, entries, timeout, reporter)
    except ApiError as exc:
        click.secho(f"{exc.code}: {exc.message}", fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    finally:
        client.close()

    if as_json:
        report = [
            {"file": str(e.path), "job_id": e.job_id, "status": e.status, **({"job": e.job} if wait else {})}
            for e in entries
            if e.error is None
        ]
        click.echo(json.dumps(report, indent=2))
    else:
        _summary(entries, out)
    if any(e.error for e in entries):
        sys.exit(EXIT_API_ERROR)
    if wait and any(e.status != "completed" for e in entries):
        sys.exit(EXIT_JOB_FAILED)
    sys.exit(EXIT_OK)


def _show_job(job: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    style = _STATUS_STYLE.get(job["status"], "white")
    table.add_row("status", f"[{style}]{job['status']}[/]")
    table.add_row("file", f"{job['filename']} ({job['content_type']}, {_human_bytes(job['size_bytes'])})")
    table.add_row("created", str(job["created_at"]))
    table.add_row("updated", str(job["updated_at"]))
    if job.get("error"):
        table.add_row("error", f"[red]{job['error']['code']}[/]: {job['error']['message']}")
    result = job.get("result")
    if result:
        meta = result["metadata"]
        table.add_row("image", f"{meta['format']} {meta['mode']} {meta['width']}x{meta['height']}")
        for output in result["outputs"]:
            table.add_row(output["name"], f"{output['width']}x{output['height']}  {output['url']}")
        analysis = result.get("analysis") or {}
        text = _text_of(job)
        if text:
            table.add_row(f"text ({analysis.get('engine', '?')})", text)
        elif analysis:
            table.add_row("text", analysis.get("skipped_reason") or "none found")
        labels = analysis.get("labels") or []
        if labels:
            table.add_row("labels", ", ".join(f"{lab['name']} {lab['confidence']:.0f}%" for lab in labels))
    console.print(table)


@cli.command(epilog=_EPILOG)
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.option("--wait", is_flag=True, help="Wait until the job ends.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait with --wait.")
@_client_options
def status(job_id: str, as_json: bool, wait: bool, timeout: float, api_url: str, api_key: str) -> None:
    """Show one job's status and results (download links, metadata, text)."""
    from rich.console import Console

    from cli.client import ApiClient, ApiError

    client = ApiClient(api_url, api_key)
    try:
        job = client.wait(job_id, timeout=timeout) if wait else client.get_job(job_id)
    except ApiError as exc:
        click.secho(f"{exc.code}: {exc.message}", fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(job, indent=2))
    else:
        click.echo(f"{job_id}: {_describe(job)}")
        _show_job(job, Console(highlight=False))
    if job["status"] in ("failed", "expired") or (wait and job["status"] != "completed"):
        sys.exit(EXIT_JOB_FAILED)
    sys.exit(EXIT_OK)


@cli.command("config-reference")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), help="Update this file.")
@click.option("--check", "check_file", type=click.Path(dir_okay=False, path_type=Path), help="Exit 1 if stale.")
def config_reference(write_to: Path | None, check_file: Path | None) -> None:
    """Print the settings reference (every IMGPIPE_* variable), or update it in README.md.

    The table goes between the `config-reference:start` and `:end` markers of the file.
    """
    from core.config_reference import render_reference, splice

    table = render_reference()
    if write_to is None and check_file is None:
        click.echo(table, nl=False)
        return
    target = write_to or check_file
    assert target is not None
    current = target.read_text(encoding="utf-8")
    try:
        updated = splice(current, table)
    except ValueError as exc:
        raise click.UsageError(f"{target}: {exc}") from None
    if check_file is not None:
        if updated != current:
            click.secho(
                f"{target}: the configuration reference is stale; run `imgpipe config-reference --write {target}`",
                fg="red",
                err=True,
            )
            sys.exit(EXIT_JOB_FAILED)
        click.echo(f"{target}: the configuration reference is up to date")
        return
    target.write_text(updated, encoding="utf-8")
    click.echo(f"{target}: configuration reference {'updated' if updated != current else 'already up to date'}")


def _register_subgroups() -> None:
    from cli.dlq import dlq
    from cli.healthcheck import healthcheck
    from cli.references import error_reference

    cli.add_command(dlq)
    cli.add_command(healthcheck)
    cli.add_command(error_reference)


_register_subgroups()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
