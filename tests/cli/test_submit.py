"""`imgpipe submit` beyond the happy path: checks before any upload, exit codes, progress, summary, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.client import ApiClient, plan_file, sniff_content_type, upload
from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import jpeg, png
from tests.support import run_module

ACCEPTED = ["image/jpeg", "image/png"]
MiB = 1024 * 1024


def _imgpipe(stack: LocalStack, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    assert stack.api is not None and stack.api.url is not None
    env = {**os.environ, "IMGPIPE_API_URL": stack.api.url, "COLUMNS": "200"}
    if key is not None:
        env["IMGPIPE_API_KEY"] = key
    return run_module("cli.main", *args, env=env, timeout=120)


def _uploads(clients: AwsClients, stack: LocalStack) -> int:
    listed = clients.s3.list_objects_v2(Bucket=stack.settings.uploads_bucket, Prefix="uploads/")
    return int(listed.get("KeyCount", 0))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "png": tmp_path / "diagram.png",
        "jpeg": tmp_path / "photo.jpg",
        "fake": tmp_path / "fake.png",
        "text": tmp_path / "notes.txt",
        "big": tmp_path / "huge.png",
        "unnamed": tmp_path / "scan",
    }
    paths["png"].write_bytes(png(300, 200))
    paths["jpeg"].write_bytes(jpeg(400, 300))
    paths["fake"].write_text("this is text, whatever its name says\n")
    paths["text"].write_text("plain text\n")
    with paths["big"].open("wb") as fh:  # sparse: over the 20 MiB limit without writing 20 MiB
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(20 * MiB + 1)
    paths["unnamed"].write_bytes(jpeg(64, 64))
    return paths


# ---- the checks, as pure functions --------------------------------------------------------------------------------


def test_the_bytes_decide_the_declared_type(files: dict[str, Path]) -> None:
    assert sniff_content_type(files["png"]) == "image/png"
    assert sniff_content_type(files["jpeg"]) == "image/jpeg"
    assert sniff_content_type(files["fake"]) is None
    # A JPEG without an extension, or named .png, is declared as what it is.
    assert plan_file(files["unnamed"], accepted=ACCEPTED, max_bytes=MiB).content_type == "image/jpeg"
    misnamed = files["jpeg"].with_name("really-a-jpeg.png")
    misnamed.write_bytes(files["jpeg"].read_bytes())
    assert plan_file(misnamed, accepted=ACCEPTED, max_bytes=MiB).content_type == "image/jpeg"
    # --content-type wins.
    assert plan_file(files["png"], accepted=ACCEPTED, max_bytes=MiB, content_type="image/jpeg").content_type == (
        "image/jpeg"
    )


def test_what_the_api_would_refuse_is_refused_and_so_is_what_is_not_an_image(files: dict[str, Path]) -> None:
    assert plan_file(files["png"], accepted=ACCEPTED, max_bytes=MiB).problems == []
    [too_big] = plan_file(files["big"], accepted=ACCEPTED, max_bytes=20 * MiB).problems
    assert too_big.startswith("file_too_large: 20 MiB (20971521 bytes) is over the API's limit of 20 MiB")
    [wrong_type] = plan_file(files["text"], accepted=ACCEPTED, max_bytes=MiB).problems
    assert "text/plain" in wrong_type and "image/jpeg, image/png" in wrong_type
    # Named .png, but the bytes say otherwise: refused by default.
    [not_an_image] = plan_file(files["fake"], accepted=ACCEPTED, max_bytes=MiB).problems
    assert not_an_image.startswith("its bytes do not start like any image format, not image/jpeg or image/png")
    gif = files["png"].with_name("really-a-gif.png")
    gif.write_bytes(b"GIF89a" + bytes(64))
    [a_gif] = plan_file(gif, accepted=ACCEPTED, max_bytes=MiB).problems
    assert a_gif.startswith("its bytes are image/gif, not image/jpeg or image/png (declared as image/png)")
    # Checks off: nothing is refused.
    assert plan_file(files["big"], accepted=None, max_bytes=None).problems == []


# ---- the command, as a user runs it against the local stack -------------------------------------------------------


def test_files_the_api_would_refuse_are_refused_before_any_upload(
    stack: LocalStack, clients: AwsClients, files: dict[str, Path]
) -> None:
    before = _uploads(clients, stack)
    result = _imgpipe(stack, "submit", str(files["png"]), str(files["big"]), str(files["text"]))
    assert result.returncode == 2, result.stderr
    assert f"{files['big']}: refused: file_too_large" in result.stderr
    assert f"{files['text']}: refused: unsupported type text/plain" in result.stderr
    assert "Nothing was uploaded" in result.stderr
    assert _uploads(clients, stack) == before  # not even the good file


def test_what_is_not_an_image_is_refused_before_upload_and_no_check_lets_the_api_decide(
    stack: LocalStack, clients: AwsClients, files: dict[str, Path]
) -> None:
    before = _uploads(clients, stack)
    refused = _imgpipe(stack, "submit", str(files["fake"]))
    assert refused.returncode == 2
    assert f"{files['fake']}: refused: its bytes do not start like any image format" in refused.stderr
    assert _uploads(clients, stack) == before
    assert _imgpipe(stack, "submit", "--strict", str(files["fake"])).returncode == 2  # old scripts still run

    unchecked = _imgpipe(stack, "submit", "--no-check", str(files["big"]))
    assert unchecked.returncode == 3  # the API refused the request
    assert "file_too_large" in unchecked.stderr


def test_with_no_check_a_text_file_named_png_goes_through_the_pipeline(
    stack: LocalStack, files: dict[str, Path]
) -> None:
    result = _imgpipe(stack, "submit", "--no-check", "--wait", "--json", str(files["fake"]))
    assert result.returncode == 1
    [entry] = json.loads(result.stdout)
    assert entry["status"] == "failed"
    assert entry["job"]["error"]["code"] == "unsupported_format"


def test_summary_table_and_status_details(stack: LocalStack, files: dict[str, Path]) -> None:
    result = _imgpipe(stack, "submit", "--wait", str(files["png"]), str(files["unnamed"]))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 2
    assert "completed" in rows[0] and "PNG 300x200, 4 outputs" in rows[0]
    assert "completed" in rows[1] and "JPEG 64x64" in rows[1]
    job_id = rows[0].split("│")[2].strip()

    status = _imgpipe(stack, "status", job_id)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"{job_id}: completed  PNG 300x200")
    assert "diagram.png (image/png," in status.stdout
    assert "thumb-128.jpg" in status.stdout and "http" in status.stdout


def test_without_wait_the_jobs_are_listed_as_uploaded(stack: LocalStack, files: dict[str, Path]) -> None:
    result = _imgpipe(stack, "submit", "--json", str(files["png"]))
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert set(entry) == {"file", "job_id", "status"}
    assert entry["status"] == "upload_pending"


def test_status_of_unknown_and_failed_jobs(stack: LocalStack, files: dict[str, Path]) -> None:
    unknown = _imgpipe(stack, "status", "00000000-0000-4000-8000-000000000000")
    assert unknown.returncode == 3 and "job_not_found" in unknown.stderr
    assert "keeps its state in memory: jobs from before its last restart are gone" in unknown.stderr
    created = json.loads(_imgpipe(stack, "submit", "--no-check", "--json", str(files["fake"])).stdout)[0]
    failed = _imgpipe(stack, "status", "--wait", created["job_id"])
    assert failed.returncode == 1
    assert "unsupported_format" in failed.stdout


def test_exit_codes_are_in_the_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    for line in ("0  every job completed", "1  a job failed or expired", "2  wrong usage", "3  the API or storage"):
        assert line in result.stdout


def test_upload_reports_progress_to_the_end(api_key: str, stack: LocalStack, files: dict[str, Path]) -> None:
    assert stack.api is not None
    client = ApiClient(stack.api.url or "", api_key)
    try:
        created = client.create_job(files["jpeg"], "image/jpeg")
    finally:
        client.close()
    seen: list[int] = []
    upload(created.upload, files["jpeg"], "image/jpeg", on_progress=seen.append)
    assert seen and seen == sorted(seen)
    assert seen[-1] == files["jpeg"].stat().st_size


def test_dev_turns_text_analysis_on_only_when_nobody_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.main

    monkeypatch.delenv("IMGPIPE_ANALYSIS_ENGINE", raising=False)
    monkeypatch.setattr(cli.main, "_ocr_installed", lambda settings: True)
    assert cli.main._dev_settings().analysis_engine == "local"
    monkeypatch.setenv("IMGPIPE_ANALYSIS_ENGINE", "off")
    assert cli.main._dev_settings().analysis_engine == "off"
    monkeypatch.delenv("IMGPIPE_ANALYSIS_ENGINE")
    monkeypatch.setattr(cli.main, "_ocr_installed", lambda settings: False)
    assert cli.main._dev_settings().analysis_engine == "off"
