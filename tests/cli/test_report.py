"""What `imgpipe submit` and `status` print, from job views as the API returns them: sizes, progress, summary."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from cli.jobs import Entry
from cli.report import Live, human_bytes, show_job, summary
from core.views import JOB_VIEW_EXAMPLE, JobView

KiB = 1024


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=200, color_system=None), buffer


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
    summary([done, waiting, refused], console)
    rows = [line for line in buffer.getvalue().splitlines() if line.startswith("│")]
    assert "completed" in rows[0]
    assert 'JPEG 4000x3000, 4 outputs, text: "OPEN 24 HOURS"' in rows[0]
    assert "uploaded" in rows[1] and "imgpipe status j2" in rows[1]
    assert "refused" in rows[2] and "upload_rejected: storage refused" in rows[2]


def test_a_jobs_details_show_sizes_links_text_and_labels() -> None:
    console, buffer = _console()
    show_job(_job(), console)
    rows = {line.split()[0]: " ".join(line.split()[1:]) for line in buffer.getvalue().splitlines()}
    assert rows["file"] == "holiday.jpg (image/jpeg, 2.4 MiB)"
    assert rows["thumb-1024.jpg"].startswith("1024x768 148 KiB https://")
    assert rows["text"] == "(rekognition) OPEN 24 HOURS"
    assert rows["labels"] == "Signboard 97%"
