"""What `imgpipe submit`, `status` and `jobs` print: progress while files upload and jobs run (rich bars on a terminal,
plain lines otherwise), the summary table, one job's details, and sizes in one unit style."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Table
from rich.text import Text

from cli.invocation import status_command
from core.jobs import TERMINAL, ImageMetadata, JobErrorInfo, JobStatus
from core.views import JobView

if TYPE_CHECKING:
    from cli.jobs import Entry

_STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "expired": "red",
    "refused": "red",
    "processing": "yellow",
    "uploaded": "cyan",
    "uploading": "cyan",
}


def human_bytes(n: int) -> str:
    """A size in binary units as the results page shows it: `512 B`, `1.5 KiB`, `151 KiB`, `2.4 MiB`."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.{1 if value < 10 else 0}f} {unit}"
        value /= 1024
    return f"{value:.{1 if value < 10 else 0}f} GiB"


def printable(value: object, *, lines: bool = False) -> str:
    """Text from the API (a stored file name, a message, OCR text) as a terminal should show it: control characters
    (escape codes among them) spelled out, not obeyed; newlines kept only with `lines`."""
    return "".join(c if (lines and c == "\n") or unicodedata.category(c) != "Cc" else repr(c)[1:-1] for c in str(value))


def safe(value: object, *, lines: bool = False) -> str:
    """`printable`, with Rich markup escaped: for text that goes into Rich markup."""
    return escape(printable(value, lines=lines))


def _image(meta: ImageMetadata) -> str:
    return f"{meta.format} {meta.width}x{meta.height}"


def _error(error: JobErrorInfo) -> str:
    return printable(f"{error.code}: {error.message}")


def _shown(status: str) -> str:
    """The status as the progress and the summary name it: a job waiting for its upload, once sent, is uploaded."""
    return "uploaded" if status == JobStatus.UPLOAD_PENDING else status


def _styled(status: str, detail: str = "") -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]{detail}"


def describe(job: JobView) -> str:
    """One line: the status, then the image and outputs of a completed job, or the error of a failed one."""
    if job.status is JobStatus.COMPLETED and job.result:
        outputs = ", ".join(o.name for o in job.result.outputs)
        return printable(f"completed  {_image(job.result.metadata)}  outputs: {outputs}")
    if job.error:
        return f"{job.status}  {_error(job.error)}"
    return str(job.status)


def text_of(job: JobView) -> str | None:
    analysis = job.result.analysis if job.result else None
    return analysis.full_text if analysis and analysis.full_text else None


# ---- progress: one entry per file, reported live (terminal) or as lines (pipes, CI) ---------------------------------


class Lines:
    """Progress as plain lines on stdout: what a pipe, a log or CI sees."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __enter__(self) -> Lines:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def added(self, entry: Entry) -> None:
        return None

    def sent(self, entry: Entry, done: int) -> None:
        return None

    def uploaded(self, entry: Entry) -> None:
        if not self.quiet:
            click.echo(f"{entry.path}: job {entry.job_id} uploaded ({human_bytes(entry.size)})")

    def changed(self, entry: Entry, job: JobView) -> None:
        if self.quiet:
            return
        if job.status in TERMINAL:
            colour = "green" if job.status is JobStatus.COMPLETED else "red"
            click.secho(f"{entry.path}: {describe(job)}", fg=colour)
        else:
            click.echo(f"{entry.path}: {job.status}")

    def refused(self, entry: Entry) -> None:
        assert entry.error is not None
        click.secho(printable(f"{entry.path}: {entry.error[0]}: {entry.error[1]}"), fg="red", err=True)


class _Bytes(ProgressColumn):
    """Bytes sent of the file's size, in the units of everything else the command prints."""

    def render(self, task: Task) -> Text:
        return Text(
            f"{human_bytes(int(task.completed))}/{human_bytes(int(task.total or 0))}", style="progress.download"
        )


class Live:
    """A rich progress bar per file on stderr: upload bytes, then the job's status."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.fields[name]}", style="bold"),
            BarColumn(bar_width=28),
            _Bytes(),
            TextColumn("{task.fields[status]}"),
            console=console,
        )

    def __enter__(self) -> Live:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def _set(self, entry: Entry, status: str, detail: str = "", **kwargs: Any) -> None:
        self.progress.update(entry.task, status=_styled(status, detail), **kwargs)

    def added(self, entry: Entry) -> None:
        entry.task = self.progress.add_task(
            "", total=max(entry.size, 1), name=safe(entry.path.name), status="[dim]creating job[/]"
        )

    def sent(self, entry: Entry, done: int) -> None:
        self._set(entry, "uploading", completed=done)

    def uploaded(self, entry: Entry) -> None:
        self._set(entry, "uploaded", completed=max(entry.size, 1))

    def changed(self, entry: Entry, job: JobView) -> None:
        detail = ""
        if job.status is JobStatus.COMPLETED and job.result:
            detail = f" {_image(job.result.metadata)}"
        elif job.error:
            detail = f" {job.error.code}"
        self._set(entry, _shown(job.status), detail)

    def refused(self, entry: Entry) -> None:
        assert entry.error is not None
        self._set(entry, "refused")
        self.progress.console.print(f"[red]{safe(entry.path)}: {safe(entry.error[0])}: {safe(entry.error[1])}[/]")


def progress(as_json: bool) -> Lines | Live:
    """Bars on a terminal; lines for a pipe or a log; nothing but errors with --json (stdout is the JSON)."""
    err = Console(stderr=True, highlight=False)
    return Live(err) if err.is_terminal and not as_json else Lines(quiet=as_json)


# ---- the outcome ------------------------------------------------------------------------------------------------


def _stdout() -> Console:
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = 160  # a log or a pipe: wide enough that job ids and messages stay on one line
    return out


def _result(entry: Entry) -> str:
    """The outcome of one file, as plain text."""
    job = entry.job
    if entry.error:
        return printable(f"{entry.error[0]}: {entry.error[1]}")
    if job and job.status is JobStatus.COMPLETED and job.result:
        result = f"{_image(job.result.metadata)}, {len(job.result.outputs)} outputs"
        text = text_of(job)
        if text:
            lines = len(text.splitlines())
            result += f", text: {lines} line{'s' if lines != 1 else ''} (below)"
        return result
    if job and job.error:
        return _error(job.error)
    if _shown(entry.status) == "uploaded":
        return "uploaded; follow it with the command below"
    return "not finished yet; follow it with the command below"


def _follow_commands(entries: list[Entry], api_url: str) -> list[str]:
    """A `status` command for each job that has not ended, to copy whole (it is never wrapped)."""
    return [
        status_command(e.job_id, api_url, wait=_shown(e.status) != "uploaded")
        for e in entries
        if e.job_id and not e.error and not (e.job and e.job.status in TERMINAL)
    ]


WIDE = 120  # below this many columns the summary lists each file as a block: a 4-column table would be unreadable


def summary(entries: list[Entry], console: Console, *, api_url: str) -> None:
    """Each file's job, status and outcome (or how to follow it): a table on a wide console, blocks on a narrow one."""
    rows = [
        (
            safe(e.path),
            e.job_id or "-",
            _styled("refused" if e.error else _shown(e.status)),
            escape(_result(e)),
        )
        for e in entries
    ]
    if console.width >= WIDE:
        table = Table()
        table.add_column("file", overflow="fold")
        table.add_column("job", no_wrap=True, style="dim")
        table.add_column("status")
        table.add_column("result", overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:
        _blocks(rows, console)
    for command in _follow_commands(entries, api_url):
        console.print(f"  {escape(command)}", soft_wrap=True)


def _blocks(rows: list[tuple[str, str, str, str]], console: Console) -> None:
    for path, job_id, status, result in rows:
        block = Table.grid(padding=(0, 2))
        block.add_column(style="dim", no_wrap=True)
        block.add_column()
        block.add_row("job", job_id)
        block.add_row("result", result)
        console.print(f"{status}  [bold]{path}[/]")
        console.print(Padding(block, (0, 0, 1, 4)))


def texts(entries: list[Entry], console: Console) -> None:
    """The whole text found in each completed job, as the results page shows it."""
    for entry in entries:
        text = text_of(entry.job) if entry.job else None
        if text:
            console.print(f"\n[bold]text of {safe(entry.path)}[/]", soft_wrap=True)
            console.print(safe(text, lines=True), soft_wrap=True)


def submitted(entries: list[Entry], *, wait: bool, as_json: bool, api_url: str) -> None:
    """What submit prints last: the JSON of the jobs it created (--json), else the summary and the texts found."""
    if not as_json:
        out = _stdout()
        summary(entries, out, api_url=api_url)
        texts(entries, out)
        return
    report = [
        {
            "file": str(e.path),
            "job_id": e.job_id,
            "status": e.status,
            **({"job": e.job.model_dump(mode="json") if e.job else None} if wait else {}),
        }
        for e in entries
        if e.error is None
    ]
    click.echo(json.dumps(report, indent=2))


def interrupted(entries: list[Entry], *, as_json: bool, api_url: str) -> None:
    """After Ctrl-C: the jobs already created carry on without this command; how to follow each."""
    created = [e for e in entries if e.job_id and e.error is None]
    if not created:
        click.echo("Interrupted before any job was created.", err=True)
        return
    click.echo(f"Interrupted. {len(created)} job(s) carry on without this command; follow them with:", err=True)
    if as_json:
        click.echo(json.dumps([{"file": str(e.path), "job_id": e.job_id} for e in created], indent=2))
        return
    for entry in created:
        assert entry.job_id is not None
        click.echo(f"  {status_command(entry.job_id, api_url, wait=True)}    # {printable(entry.path)}")


def _details(job: JobView) -> list[tuple[str, str]]:
    """(label, markup) pairs: the job's file, times, error, image, outputs with their links, text and labels."""
    rows = [
        ("status", _styled(job.status)),
        ("file", safe(f"{job.filename} ({job.content_type}, {human_bytes(job.size_bytes)})")),
        ("created", str(job.created_at)),
        ("updated", str(job.updated_at)),
    ]
    if job.error:
        rows.append(("error", f"[red]{safe(job.error.code)}[/]: {safe(job.error.message)}"))
    if job.result:
        meta = job.result.metadata
        rows.append(("image", safe(f"{meta.format} {meta.mode} {meta.width}x{meta.height}")))
        for output in job.result.outputs:
            rows.append((safe(output.name), safe(f"{output.width}x{output.height}  {human_bytes(output.bytes)}")))
            rows.append(("", safe(output.url)))  # a line of its own, never wrapped: copied whole
        analysis = job.result.analysis
        text = text_of(job)
        if analysis and text:
            rows.append((f"text ({safe(analysis.engine)})", safe(text, lines=True)))
        elif analysis:
            rows.append(("text", safe(analysis.skipped_reason or "none found")))
        if analysis and analysis.labels:
            rows.append(("labels", safe(", ".join(f"{lab.name} {lab.confidence:.0f}%" for lab in analysis.labels))))
    return rows


def show_job(job: JobView, console: Console) -> None:
    """One row per detail; nothing is wrapped by us (soft wrap), so a link copied from the terminal is whole."""
    rows = _details(job)
    width = max(len(Text.from_markup(label)) for label, _ in rows) + 2
    for label, value in rows:
        indent = "\n" + " " * width
        pad = " " * (width - len(Text.from_markup(label)))
        console.print(f"[dim]{label}[/]{pad}{value.replace(chr(10), indent)}", soft_wrap=True)


def status(job_id: str, job: JobView, *, as_json: bool) -> None:
    """What `imgpipe status` prints: the job as JSON, or a line and its details."""
    if as_json:
        click.echo(json.dumps(job.model_dump(mode="json"), indent=2))
        return
    click.echo(f"{job_id}: {describe(job)}")
    show_job(job, Console(highlight=False))


def job_list(jobs: list[JobView], *, more: bool, as_json: bool) -> None:
    """What `imgpipe jobs` prints: the jobs as a JSON array, or a table row per job and how to see more."""
    if as_json:
        click.echo(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
        return
    if not jobs:
        click.echo("No jobs.")
        return
    table = Table()
    table.add_column("job", no_wrap=True, style="dim")
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("status")
    table.add_column("file", overflow="fold")
    table.add_column("ref", overflow="fold")
    table.add_column("result", overflow="fold")
    for job in jobs:
        outcome = describe(job).removeprefix(str(job.status)).strip()
        table.add_row(
            job.job_id,
            f"{job.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            _styled(job.status),
            job.filename,
            job.client_ref or "",
            outcome,
        )
    console = _stdout()
    console.print(table)
    if more:
        console.print("[dim]More jobs follow: raise --limit to see them.[/]")
