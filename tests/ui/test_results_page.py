"""The results page (/ui) in headless Chromium against the real local stack: pick a file, watch it complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.stack import LocalStack
from harness.images import jpeg
from tests.ui.results import TEXT_LINES, open_page, sign, sign_analysis, wait_for_images, with_sign_analysis


def test_upload_from_the_page_and_see_the_results(
    page: Any, stack: LocalStack, api_key: str, artifacts: Path, tmp_path: Path
) -> None:
    open_page(page, stack)
    assert page.locator("#api-key").input_value() == api_key  # prefilled: this is the local stack

    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    card = page.locator("article.job").first
    card.and_(page.locator('[data-status="completed"]')).wait_for(timeout=60_000)

    job_id = card.get_attribute("data-job-id")
    assert stack.api is not None
    job = httpx.get(f"{stack.api.url}/v1/jobs/{job_id}", headers={"X-API-Key": api_key}).json()
    assert job["status"] == "completed"

    wait_for_images(page, "article.job img.thumb")
    thumbs = card.locator("img.thumb")
    assert thumbs.count() == len(job["result"]["outputs"])
    sizes = thumbs.evaluate_all("(images) => images.map((i) => [i.dataset.name, i.naturalWidth, i.naturalHeight])")
    expected = {o["name"]: [o["width"], o["height"]] for o in job["result"]["outputs"]}
    assert {name: [w, h] for name, w, h in sizes} == expected

    metadata = card.locator(".metadata").inner_text()
    assert "PNG (RGB)" in metadata
    assert "900 \N{MULTIPLICATION SIGN} 500 px" in metadata
    assert card.locator(".job-file").inner_text() == "sign.png"
    assert card.locator(".steps li.done").count() == 3
    # Without a text engine the page says so instead of showing an empty section.
    assert card.locator(".text-note").inner_text()
    page.screenshot(path=str(artifacts / "results-page.png"), full_page=True)


def test_extracted_text_is_listed_and_boxed_over_the_image(
    page: Any, stack: LocalStack, artifacts: Path, tmp_path: Path
) -> None:
    analysis = sign_analysis()
    with_sign_analysis(page)
    open_page(page, stack)
    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    card = page.locator('article.job[data-status="completed"]')
    card.wait_for(timeout=60_000)
    wait_for_images(page, "article.job img.preview-img")

    assert card.locator(".full-text").inner_text() == "\n".join(TEXT_LINES)
    listed = card.locator(".text-lines .line-text").all_inner_texts()
    assert listed == TEXT_LINES

    boxes = card.locator(".box-lines")
    assert boxes.count() == len(TEXT_LINES)
    image = card.locator(".preview-img").bounding_box()
    for i, line in enumerate(analysis["lines"]):
        drawn = boxes.nth(i).bounding_box()
        assert abs((drawn["x"] - image["x"]) / image["width"] - line["box"]["left"]) < 0.01
        assert abs((drawn["y"] - image["y"]) / image["height"] - line["box"]["top"]) < 0.01
        assert abs(drawn["width"] / image["width"] - line["box"]["width"]) < 0.01
    page.screenshot(path=str(artifacts / "results-page-text.png"), full_page=True)

    card.get_by_label("words").check()
    assert card.locator(".box-words").count() == len(analysis["words"])
    card.get_by_label("hide").check()
    assert card.locator(".box").count() == 0


def test_text_read_by_the_real_engine_is_shown_with_its_boxes(
    page: Any, ocr_stack: LocalStack, artifacts: Path, tmp_path: Path
) -> None:
    """No injection here: the stack runs the offline OCR engine, and the page shows what it read."""
    from harness.text_images import regular_fonts, render_text

    lines = [["Fresh", "coffee"], ["Open", "daily"]]
    sign = tmp_path / "menu.png"
    render_text(lines, regular_fonts()[0], 48, background=(250, 246, 238), ink=(20, 30, 60)).save(sign)
    open_page(page, ocr_stack)
    page.set_input_files("#file-input", str(sign))
    card = page.locator('article.job[data-status="completed"]')
    card.wait_for(timeout=120_000)  # the first job also loads the OCR models
    wait_for_images(page, "article.job img.preview-img")

    assert card.locator(".text-lines .line-text").all_inner_texts() == [" ".join(line) for line in lines]
    assert "local engine" in card.locator(".text-note").inner_text()
    assert card.locator(".box-lines").count() == len(lines)
    card.get_by_label("words").check()
    assert card.locator(".box-words").count() == sum(len(line) for line in lines)
    page.screenshot(path=str(artifacts / "results-page-ocr.png"), full_page=True)


def test_failures_are_explained_on_the_page(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    open_page(page, stack)
    created = []
    page.on("request", lambda r: created.append(r.url) if r.method == "POST" else None)
    fake = tmp_path / "notes.png"
    fake.write_text("this is text, whatever its name says\n")
    page.set_input_files("#file-input", str(fake))
    # Refused by its bytes before any job or upload, as the worker would have refused it after.
    refused = page.locator('article.job[data-status="refused"]')
    refused.wait_for()
    assert refused.locator(".error-code").inner_text() == "unsupported_format"
    message = refused.locator(".error-message").inner_text()
    assert "notes.png is not an accepted image (AVIF, HEIC, HEIF, JPEG, PNG, TIFF, WEBP)" in message
    assert created == []
    refused.locator(".job-close").click()

    page.locator("#api-key").fill("not-the-key")
    page.locator('#key-status[data-kind="error"]').wait_for()
    assert "does not match" in page.locator("#key-status").inner_text()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(320, 240))
    page.set_input_files("#file-input", str(photo))
    refused = page.locator('article.job[data-status="refused"]')
    refused.wait_for()
    assert refused.locator(".error-code").inner_text() == "invalid_api_key"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/ui", "text/html"), ("/ui/assets/app.js", "javascript"), ("/ui/assets/app.css", "text/css")],
)
def test_page_assets_are_served(stack: LocalStack, path: str, content_type: str) -> None:
    assert stack.api is not None
    response = httpx.get(f"{stack.api.url}{path}")
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
