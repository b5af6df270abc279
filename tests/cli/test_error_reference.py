"""The error tables in README.md are generated from the error catalogue and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from core.error_reference import END_MARKER, START_MARKER, render_errors, splice_errors
from core.errors import catalogue

README = Path(__file__).resolve().parents[2] / "README.md"


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
