"""What `imgpipe submit` and `status` print, from job views as the API returns them: sizes, progress, summary."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cli.jobs import Entry
from cli.report import Live, human_bytes, show_job, submitted, summary
from core.views import JOB_VIEW_EXAMPLE, JobView

KiB = 1024


def _console(width: int = 200) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=width, color_system=None), buffer


def _job(**changes: Any) -> JobView:
    return JobView.model_validate({**JOB_VIEW_EXAMPLE, **changes})


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (KiB, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (151234, "148 KiB"),
        (2481152, "2.4 MiB"),
        (20 * KiB * KiB, "20 MiB"),
        (3 * KiB**3, "3.0 GiB"),
    ],
)
def test_sizes_are_in_binary_units_as_the_results_page_shows_them(size: int, shown: str) -> None:
    # api/static/assets/app.js humanBytes: B below 1 KiB, then one decimal below 10 and none above.
    assert human_bytes(size) == shown


def test_the_upload_progress_counts_in_the_same_units(tmp_path: Path) -> None:
    console, buffer = _console()
    entry = Entry(path=tmp_path / "a.png", size=3 * KiB, content_type="image/png")
    with Live(console) as live:
        live.added(entry)
        live.sent(entry, 1536)
    assert "1.5 KiB/3.0 KiB" in buffer.getvalue()


def test_the_live_progress_shows_each_file_and_its_outcome(tmp_path: Path) -> None:
    console, buffer = _console()
    entries = [Entry(path=tmp_path / f"{name}.png", size=1000, content_type="image/png") for name in ("a", "b")]
    failed = _job(status="failed", result=None, error={"code": "corrupt_image", "message": "..."})
    with Live(console) as live:
        for entry in entries:
            live.added(entry)
        live.sent(entries[0], 500)
        live.uploaded(entries[0])
        live.changed(entries[0], _job())
        live.changed(entries[1], failed)
    text = "".join(buffer.getvalue().split("\x1b[2K")[-3:])  # the last frame: one line per file
    assert "a.png" in text and "completed JPEG 4000x3000" in text
    assert "b.png" in text and "failed corrupt_image" in text


def test_the_summary_gives_each_file_its_outcome_or_how_to_follow_it(tmp_path: Path) -> None:
    done = Entry(tmp_path / "holiday.jpg", 2481152, "image/jpeg", job_id="j1", status="completed", job=_job())
    waiting = Entry(tmp_path / "later.png", 1536, "image/png", job_id="j2", status="upload_pending")
    refused = Entry(tmp_path / "big.png", 512, "image/png", error=("upload_rejected", "storage refused"))
    console, buffer = _console()
    summary([done, waiting, refused], console, api_url="http://127.0.0.1:8000")
    rows = [line for line in buffer.getvalue().splitlines() if line.startswith("│")]
    assert "completed" in rows[0]
    assert "JPEG 4000x3000, 4 outputs, text: 1 line (below)" in rows[0]
    assert "uploaded" in rows[1] and "follow it with the command below" in rows[1]
    assert buffer.getvalue().rstrip().endswith(" status j2")
    assert "refused" in rows[2] and "upload_rejected: storage refused" in rows[2]


def test_a_jobs_details_show_sizes_links_text_and_labels() -> None:
    console, buffer = _console()
    show_job(_job(), console)
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in buffer.getvalue().splitlines()}
    assert rows["file"] == "holiday.jpg (image/jpeg, 2.4 MiB)"
    assert rows["thumb-1024.jpg"] == "1024x768 148 KiB"  # its link on the next line
    assert rows["text"] == "(rekognition) OPEN 24 HOURS"
    assert rows["labels"] == "Signboard 97%"


JOB_ID = "6f1c2a4e-8d5b-4a43-9a3e-2f0f4b1f8c21"


def _entries(tmp_path: Path) -> list[Entry]:
    done = Entry(tmp_path / "holiday.jpg", 2481152, "image/jpeg", job_id=JOB_ID, status="completed", job=_job())
    waiting = Entry(tmp_path / "later.png", 1536, "image/png", job_id=JOB_ID, status="upload_pending")
    return [done, waiting]


def test_the_summary_is_readable_at_80_columns(tmp_path: Path) -> None:
    console, buffer = _console(width=80)
    summary(_entries(tmp_path), console, api_url="http://127.0.0.1:8000")
    lines = buffer.getvalue().splitlines()
    [command] = [line for line in lines if f"status {JOB_ID}" in line]  # to copy: never wrapped
    assert all(len(line) <= 80 for line in lines if line != command)
    # Each outcome and each job id on one line, whole.
    assert any("JPEG 4000x3000, 4 outputs, text: 1 line (below)" in line for line in lines)
    assert sum(JOB_ID in line for line in lines) == 2 + 1


def test_the_follow_hint_keeps_the_api_it_was_given(tmp_path: Path) -> None:
    console, buffer = _console()
    summary(_entries(tmp_path)[1:], console, api_url="http://10.0.0.5:9000")
    assert f"status --api http://10.0.0.5:9000 {JOB_ID}" in buffer.getvalue()


def test_submit_prints_the_whole_text_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "CORNER CAFE\nFlat white 3.20\nCroissant 2.40\nTotal 5.60 and a line longer than forty characters, whole"
    job = _job(
        result={**JOB_VIEW_EXAMPLE["result"], "analysis": {**JOB_VIEW_EXAMPLE["result"]["analysis"], "full_text": text}}
    )
    entry = Entry(tmp_path / "receipt.png", 6590, "image/png", job_id=JOB_ID, status="completed", job=job)
    submitted([entry], wait=True, as_json=False, api_url="http://127.0.0.1:8000")
    out = capsys.readouterr().out
    assert f"text of {tmp_path / 'receipt.png'}" in out
    assert text in out


def test_status_keeps_each_link_on_one_line_at_80_columns() -> None:
    console, buffer = _console(width=80)
    job = _job()
    show_job(job, console)
    assert job.result is not None
    for output in job.result.outputs:
        assert any(line.strip() == output.url for line in buffer.getvalue().splitlines()), output.url


def test_stored_names_and_messages_are_shown_not_obeyed() -> None:
    console, buffer = _console()
    hostile = "[red]boom[/] \x1b[31mred\x1b[0m\x07.png"
    show_job(
        _job(filename=hostile, status="failed", result=None, error={"code": "corrupt_image", "message": "[b]x"}),
        console,
    )
    shown = buffer.getvalue()
    assert "[red]boom[/] \\x1b[31mred\\x1b[0m\\x07.png" in shown  # markup as text, escape codes spelled out
    assert "\x1b[31m" not in shown and "\x07" not in shown
    assert "corrupt_image: [b]x" in shown
