"""Text extraction end to end with the local engine (real OCR): upload an image with known words, read them back
from GET /v1/jobs/{id}, with and without the per-word geometry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from cli.stack import LocalStack
from harness.images import encode, photo
from harness.jobs import api_client, submit, wait_for_job
from harness.text_images import regular_fonts, render_text

LINES = [["Invoice", "Total", "42.50"], ["Thank", "you", "for", "visiting"]]
WORDS = [w for line in LINES for w in line]


@pytest.fixture
def ocr_api(ocr_stack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(ocr_stack) as client:
        yield client


def _sign_on_photo() -> Image.Image:
    """A light-on-dark sign pasted on a photo-like background, upright."""
    image = photo(900, 600, seed=5)
    sign = render_text(LINES, regular_fonts()[0], 40, background=(25, 25, 35), ink=(245, 245, 245))
    image.paste(sign, (120, 200))
    return image


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


@pytest.fixture(scope="module")
def jobs(ocr_stack: LocalStack) -> dict[str, dict[str, Any]]:
    """Two uploads processed once for the module: a PNG, and a JPEG stored sideways with EXIF orientation 6."""
    upright = _sign_on_photo()
    sideways = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back clockwise
    with api_client(ocr_stack) as api:
        ids = {
            "png": submit(api, encode(render_text(LINES, regular_fonts()[-1], 32), "PNG"), "image/png", "note.png"),
            "jpeg": submit(api, encode(sideways, "JPEG", quality=92, exif=_exif(6)), "image/jpeg", "sign.jpg"),
        }
        # The first job also loads the OCR models in the worker (about a second, once per process).
        return {kind: wait_for_job(api, job_id, timeout=120) for kind, job_id in ids.items()}


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_an_uploaded_image_completes_with_its_words(jobs: dict[str, dict[str, Any]], kind: str) -> None:
    job = jobs[kind]
    assert job["status"] == "completed", job
    analysis = job["result"]["analysis"]
    assert analysis["engine"] == "local" and analysis["skipped_reason"] is None
    assert [w["text"] for w in analysis["words"]] == WORDS
    assert analysis["full_text"] == "\n".join(" ".join(line) for line in LINES)
    assert [w["line"] for w in analysis["words"]] == [0, 0, 0, 1, 1, 1, 1]
    # Boxes are ratios of the upright image: on the sideways JPEG too, words run left to right, lines top down.
    first, second = analysis["lines"]
    assert first["box"]["top"] < second["box"]["top"]
    lefts = [w["box"]["left"] for w in analysis["words"][:3]]
    assert lefts == sorted(lefts)
    for item in [*analysis["lines"], *analysis["words"]]:
        box = item["box"]
        assert box["left"] >= 0 and box["left"] + box["width"] <= 1 and box["top"] + box["height"] <= 1
        assert 50 <= item["confidence"] <= 100
    # No label classifier offline: no labels, and the result says so; properties come from the pixels.
    assert analysis["labels"] == [] and "no label classifier" in analysis["labels_note"]
    assert analysis["properties"]["source"] == "pixels" and analysis["properties"]["dominant_colors"]


def test_words_false_leaves_out_the_word_geometry(ocr_api: httpx.Client, jobs: dict[str, dict[str, Any]]) -> None:
    job_id = jobs["png"]["job_id"]
    light = ocr_api.get(f"/v1/jobs/{job_id}", params={"words": "false"})
    assert light.status_code == 200
    analysis = light.json()["result"]["analysis"]
    assert analysis["words"] is None
    assert analysis["full_text"] == jobs["png"]["result"]["analysis"]["full_text"]
    assert [line["text"] for line in analysis["lines"]] == [" ".join(line) for line in LINES]
    assert len(light.content) < len(ocr_api.get(f"/v1/jobs/{job_id}").content)
    # Explicitly asking for words is the default.
    assert ocr_api.get(f"/v1/jobs/{job_id}", params={"words": "true"}).json()["result"]["analysis"]["words"]


def test_the_words_option_is_documented(ocr_stack: LocalStack) -> None:
    assert ocr_stack.api is not None
    spec = httpx.get(f"{ocr_stack.api.url}/openapi.json").json()
    get_job = spec["paths"]["/v1/jobs/{job_id}"]["get"]
    [words] = [p for p in get_job["parameters"] if p["name"] == "words"]
    assert words["in"] == "query" and words["required"] is False
    assert words["schema"]["type"] == "boolean" and words["schema"]["default"] is True
    assert "words" in words["description"]
    analysis = spec["components"]["schemas"]["AnalysisView"]["properties"]
    assert {"engine", "full_text", "lines", "words", "labels", "properties", "skipped_reason"} <= set(analysis)


def test_a_one_pixel_strip_completes_without_text_detection(ocr_api: httpx.Client) -> None:
    # 101 bytes that used to cost the worker ~700 MiB in rapidocr's preprocessing (bench/memory.py --ocr).
    job = wait_for_job(ocr_api, submit(ocr_api, encode(Image.new("L", (20000, 1), 255), "PNG"), "image/png"))
    assert job["status"] == "completed", job
    analysis = job["result"]["analysis"]
    assert analysis["skipped_reason"].startswith("image_too_thin: 1024x1 px")
    assert analysis["words"] == [] and analysis["properties"]["source"] == "pixels"
