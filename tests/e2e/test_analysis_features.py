"""Per-job analysis features end to end on the local stack (local engine): a job asks for what it wants over HTTP,
and what the local engine cannot do (moderation) reads as not available, never as an answer."""

from __future__ import annotations

from typing import Any

import pytest

from cli.stack import LocalStack
from harness.images import encode, photo
from harness.jobs import api_client, submit, wait_for_job
from harness.text_images import regular_fonts, render_text


@pytest.fixture(scope="module")
def jobs(ocr_stack: LocalStack) -> dict[str, dict[str, Any]]:
    """Processed once for the module: a photo asking only for moderation and faces, and a sign asking for text and
    moderation."""
    sign = render_text([["Hello", "there"]], regular_fonts()[0], 40)
    with api_client(ocr_stack) as api:
        ids = {
            "moderation_faces": submit(
                api, encode(photo(640, 480), "JPEG"), "image/jpeg", "p.jpg", analysis=["moderation", "faces"]
            ),
            "text_moderation": submit(api, encode(sign, "PNG"), "image/png", "s.png", analysis=["text", "moderation"]),
        }
        return {name: wait_for_job(api, job_id, timeout=120) for name, job_id in ids.items()}


def test_moderation_with_the_local_engine_says_it_is_not_available(jobs: dict[str, dict[str, Any]]) -> None:
    for job in jobs.values():
        assert job["status"] == "completed", job
        moderation = job["result"]["analysis"]["moderation"]
        assert moderation["available"] is False and moderation["labels"] == []
        assert "local engine has no moderation" in moderation["reason"]


def test_faces_with_the_local_engine_are_looked_for(jobs: dict[str, dict[str, Any]]) -> None:
    # A generated photo without a face: looked for, none found (tests/e2e/test_recipes.py has one with a face).
    faces = jobs["moderation_faces"]["result"]["analysis"]["faces"]
    assert faces == {"available": True, "reason": None, "faces": []}


def test_a_job_gets_only_the_features_it_asked_for(jobs: dict[str, dict[str, Any]]) -> None:
    only_checks = jobs["moderation_faces"]["result"]["analysis"]
    assert only_checks["features"] == ["moderation", "faces"]
    assert only_checks["lines"] == [] and only_checks["model_version"] is None  # no OCR ran
    with_text = jobs["text_moderation"]["result"]["analysis"]
    assert with_text["features"] == ["text", "moderation"]
    assert with_text["full_text"] == "Hello there"
    assert with_text["faces"] is None and with_text["labels_note"] is None  # neither asked for
