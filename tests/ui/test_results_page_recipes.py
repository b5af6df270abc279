"""The results page offers the deployment's presets and a custom outputs list, and shows what each job made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli.stack import LocalStack
from tests.ui.results import open_page, sign, wait_for_images


def _plain(text: str) -> str:
    """The page's text with its multiplication signs as x, single spaces."""
    return " ".join(text.replace("\u00d7", "x").split())


def _captions(card: Any) -> list[str]:
    return sorted(_plain(t).split(" · ")[0] for t in card.locator(".thumb-card figcaption").all_inner_texts())


def test_a_preset_chosen_on_the_page_gives_its_outputs(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    open_page(page, stack)
    presets = page.get_by_label("Outputs", exact=True)
    assert presets.locator("option").all_inner_texts() == ["default", "avatar", "hero", "custom…"]
    assert _plain(page.locator("#preset-hint").inner_text()).startswith("thumb-1024.jpg (JPEG 1024x1024 inside)")
    presets.select_option("avatar")
    assert "avatar-256.webp (WEBP 256x256 cover)" in _plain(page.locator("#preset-hint").inner_text())

    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    card = page.locator('article.job[data-status="completed"]')
    card.wait_for(timeout=60_000)
    wait_for_images(page, "article.job img.thumb")
    assert _captions(card) == ["avatar-256.webp WEBP 256x256", "avatar-64.webp WEBP 64x64"]


def test_custom_outputs_typed_on_the_page(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    open_page(page, stack)
    page.get_by_label("Outputs", exact=True).select_option(label="custom…")
    custom = page.get_by_label("Custom outputs (JSON)")
    outputs = [{"name": "sq.png", "width": 100, "height": 100, "fit": "cover", "format": "png"}]
    custom.fill(json.dumps(outputs))
    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    card = page.locator('article.job[data-status="completed"]')
    card.wait_for(timeout=60_000)
    wait_for_images(page, "article.job img.thumb")
    assert _captions(card) == ["sq.png PNG 100x100"]
    job = json.loads(card.locator(".raw-json").text_content())
    assert job["recipe"][0]["name"] == "sq.png" and job["preset"] is None

    # An invalid list is refused by the API before any upload; the card names the field.
    custom.fill(json.dumps([{**outputs[0], "name": "Not OK.png"}]))
    page.set_input_files("#file-input", str(sign(tmp_path / "sign2.png")))
    refused = page.locator('article.job[data-status="refused"]')
    refused.wait_for()
    assert refused.locator(".error-code").inner_text() == "validation_error"
    assert "body.outputs.0.name" in refused.locator(".error-message").inner_text()
