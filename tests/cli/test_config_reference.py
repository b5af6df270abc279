"""The configuration reference in README.md is generated from Settings and must not drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from core.config import Settings
from core.config_reference import END_MARKER, START_MARKER, render_reference, splice

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_matches_the_settings() -> None:
    current = README.read_text(encoding="utf-8")
    assert splice(current, render_reference()) == current, (
        "README.md's configuration reference is stale: run `imgpipe config-reference --write README.md`"
    )


def test_every_setting_is_in_the_reference() -> None:
    reference = render_reference()
    rows = [line for line in reference.splitlines() if line.startswith("| `IMGPIPE_")]
    assert len(rows) == len(Settings.model_fields)
    for name, info in Settings.model_fields.items():
        [row] = [r for r in rows if r.startswith(f"| `IMGPIPE_{name.upper()}` |")]
        assert info.description and info.description.split("`")[0].strip()[:20] in row.replace("\\|", "|")
    assert "| `IMGPIPE_MAX_UPLOAD_BYTES` | integer, ≥ 1 | `20971520` |" in reference
    assert "| `IMGPIPE_API_KEYS_TABLE` | string | `imgpipe-api-keys` |" in reference
    assert "| `IMGPIPE_ENVIRONMENT` | `local` \\| `aws` | `local` |" in reference


def test_the_command_writes_and_checks(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# title\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nafter\n", encoding="utf-8")
    runner = CliRunner()
    stale = runner.invoke(cli, ["config-reference", "--check", str(doc)])
    assert stale.exit_code == 1 and "stale" in stale.output
    written = runner.invoke(cli, ["config-reference", "--write", str(doc)])
    assert written.exit_code == 0, written.output
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"# title\n\n{START_MARKER}\n| variable |")
    assert text.endswith(f"{END_MARKER}\n\nafter\n") and "old table" not in text
    assert runner.invoke(cli, ["config-reference", "--check", str(doc)]).exit_code == 0
    printed = runner.invoke(cli, ["config-reference"])
    assert printed.output == render_reference()
    no_markers = tmp_path / "other.md"
    no_markers.write_text("nothing here\n", encoding="utf-8")
    assert runner.invoke(cli, ["config-reference", "--write", str(no_markers)]).exit_code == 2


def test_setting_descriptions_carry_no_measured_figures() -> None:
    # Measured figures go stale in a table generated from code: they live in bench/README.md, next to the script
    # that measures them, and a description points there.
    figure = re.compile(r"~\s?\d|\d\s?(ms|µs|us|MiB)\b|\d(\.\d+)?x\b|\brecall \d|\bmeasured\b")
    offenders = {
        name: info.description for name, info in Settings.model_fields.items() if figure.search(info.description or "")
    }
    assert offenders == {}
