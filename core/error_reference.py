"""The error reference: README.md's error tables, generated from the error catalogue (core/errors.py).

README.md carries them between two markers; `imgpipe error-reference --write README.md` regenerates them and a test
fails when they drift, like the configuration reference.
"""

from __future__ import annotations

from core.config_reference import splice
from core.errors import ImgpipeError, JobError, RetriesExhaustedError, catalogue

START_MARKER = "<!-- error-reference:start -->"
END_MARKER = "<!-- error-reference:end -->"
MARKERS = (START_MARKER, END_MARKER)

_JOB_INTRO = (
    "A job that fails reads `status: failed` with one of these codes in `error.code` (`GET /v1/jobs/{job_id}` "
    f"answers `200`); only `{RetriesExhaustedError.code}` can be retried, every other failure is final:\n\n"
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_errors(entries: list[type[ImgpipeError]] | None = None) -> str:
    """Two Markdown tables: the API's error answers (status, code, when), then the job failure codes."""
    entries = catalogue() if entries is None else entries
    answers = [e for e in entries if not issubclass(e, JobError)]
    failures = [e for e in entries if issubclass(e, JobError)]
    http = "".join(f"| {e.http_status} | `{e.code}` | {_cell(e.when)} |\n" for e in answers)
    jobs = "".join(f"| `{e.code}` | {_cell(e.when)} |\n" for e in failures)
    return (
        "| status | code | when |\n|---|---|---|\n"
        + http
        + "\n"
        + _JOB_INTRO
        + "| job failure code | when |\n|---|---|\n"
        + jobs
    )


def splice_errors(document: str, reference: str) -> str:
    return splice(document, reference, MARKERS)
