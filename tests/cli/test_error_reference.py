"""The error tables in README.md are generated from the error catalogue and must not drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from core.error_reference import END_MARKER, START_MARKER, render_errors, splice_errors
from core.errors import catalogue

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
# A status followed by a code, as the docs write them: "503 `dependency_unavailable`", "`401 invalid_api_key`".
STATUS_AND_CODE = re.compile(r"\b([45]\d\d)[\s`]+([a-z]+(?:_[a-z]+)+)`")


def test_readme_matches_the_catalogue() -> None:
    current = README.read_text(encoding="utf-8")
    assert splice_errors(current, render_errors()) == current, (
        "README.md's error reference is stale: run `imgpipe error-reference --write README.md`"
    )


def test_every_code_has_its_row() -> None:
    tables = render_errors()
    for error in catalogue():
        rows = [line for line in tables.splitlines() if f"| `{error.code}` |" in line]
        assert len(rows) == 1, error.code
    assert "| 404 | `job_not_found` | no job has this id |" in tables
    assert "| 503 | `dependency_unavailable` | an AWS service" in tables
    assert "| `corrupt_image` | the file is truncated or damaged" in tables
    http_table, job_table = tables.split("| job failure code |")
    assert "`processing_retries_exhausted` |" in job_table and "`processing_retries_exhausted` |" not in http_table
    assert "`invalid_body` |" in http_table and "`invalid_body` |" not in job_table


def test_the_command_writes_and_checks(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# title\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nafter\n", encoding="utf-8")
    runner = CliRunner()
    stale = runner.invoke(cli, ["error-reference", "--check", str(doc)])
    assert stale.exit_code == 1 and "stale" in stale.output
    written = runner.invoke(cli, ["error-reference", "--write", str(doc)])
    assert written.exit_code == 0, written.output
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"# title\n\n{START_MARKER}\n| status | code | when |")
    assert text.endswith(f"{END_MARKER}\n\nafter\n") and "old table" not in text
    assert runner.invoke(cli, ["error-reference", "--check", str(doc)]).exit_code == 0
    printed = runner.invoke(cli, ["error-reference"])
    assert printed.output == render_errors()
    no_markers = tmp_path / "other.md"
    no_markers.write_text("nothing here\n", encoding="utf-8")
    assert runner.invoke(cli, ["error-reference", "--write", str(no_markers)]).exit_code == 2


def test_the_docs_name_only_catalogued_answers() -> None:
    """Where a document names a status and a code, the API answers with that pair (the runbook once said
    `503 transient_error`, a code the API never sends)."""
    answers = {(str(e.http_status), e.code) for e in catalogue()}
    documents = [README, REPO / "bench" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    named = [(doc.name, *m.groups()) for doc in documents for m in STATUS_AND_CODE.finditer(doc.read_text("utf-8"))]
    assert len(named) >= 5, named
    assert [n for n in named if tuple(n[1:]) not in answers] == []
