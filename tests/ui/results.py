"""What the results-page tests share: a sign with known text, the analysis an engine would report for it, opening
the page, waiting for its images, and axe-core's verdict on it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from cli.stack import LocalStack

TEXT_LINES = ["OPEN 24 HOURS", "Fresh coffee", "imgpipe"]
AXE_JS = Path(__file__).parent / "assets" / "axe.min.js"
_SIZE = (900, 500)


def _draw_sign() -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A sign: big dark text on a light background. Returns the image and each line's pixel box."""
    image = Image.new("RGB", _SIZE, (250, 246, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 870, 470), outline=(30, 60, 120), width=6)
    boxes = []
    for i, line in enumerate(TEXT_LINES):
        font = ImageFont.load_default(size=64 - i * 12)
        position = (80, 90 + i * 120)
        draw.text(position, line, font=font, fill=(20, 30, 60))
        boxes.append(tuple(int(v) for v in draw.textbbox(position, line, font=font)))
    return image, boxes  # type: ignore[return-value]


def sign(path: Path) -> Path:
    buffer = io.BytesIO()
    _draw_sign()[0].save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def sign_analysis() -> dict[str, Any]:
    """The analysis an OCR engine would report for the sign, in the worker's own model (so a change of shape
    breaks the tests): a box per line from the drawn text, a box per word by share of characters."""
    from core.analysis import Analysis, BoundingBox, TextLine, TextWord

    width, height = _SIZE
    lines, words = [], []
    for i, (text, (x0, y0, x1, y1)) in enumerate(zip(TEXT_LINES, _draw_sign()[1], strict=True)):
        box = BoundingBox.from_points([(x0 - 4, y0 - 4), (x1 + 4, y1 + 4)], width, height)
        lines.append(TextLine(text=text, confidence=99.1 - i, box=box))
        start = 0
        for word in text.split():
            offset = text.index(word, start)
            left = x0 + (x1 - x0) * offset / len(text)
            right = x0 + (x1 - x0) * (offset + len(word)) / len(text)
            words.append(
                TextWord(
                    text=word,
                    confidence=97.5,
                    box=BoundingBox.from_points([(left, y0), (right, y1)], width, height),
                    line=i,
                )
            )
            start = offset + len(word)
    return Analysis(engine="local", full_text="\n".join(TEXT_LINES), lines=lines, words=words).model_dump(mode="json")


def with_sign_analysis(page: Any, analysis: dict[str, Any] | None = None) -> None:
    """The shared stack runs with analysis off: add the sign's analysis (or `analysis`) to every real job the page
    reads."""
    analysis = analysis or sign_analysis()

    def add(route: Any) -> None:
        response = route.fetch()
        job = response.json()
        if job.get("result"):
            job["result"]["analysis"] = analysis
        route.fulfill(response=response, json=job)

    page.route("**/v1/jobs/*", add)


def finished_job(page: Any, stack: LocalStack, tmp_path: Path, analysis: dict[str, Any] | None = None) -> Any:
    """Open the page, upload the sign, and return its card once completed with its preview loaded."""
    with_sign_analysis(page, analysis)
    open_page(page, stack)
    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    card = page.locator('article.job[data-status="completed"]')
    card.wait_for(timeout=60_000)
    wait_for_images(page, "article.job img.preview-img")
    return card


def open_page(page: Any, stack: LocalStack) -> None:
    assert stack.api is not None
    page.goto(f"{stack.api.url}/")
    assert page.url.endswith("/ui")
    page.locator('#key-status[data-kind="ok"]').wait_for()


def wait_for_images(page: Any, selector: str) -> None:
    page.wait_for_function(
        """(selector) => {
            const images = [...document.querySelectorAll(selector)];
            return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
        }""",
        arg=selector,
    )


def load_axe(page: Any) -> None:
    """Make axe-core available on every page this `page` opens. An init script, because the results page's CSP
    (script-src 'self') refuses injected <script> tags, as it should."""
    page.add_init_script(path=str(AXE_JS))


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each (rule, impact, where)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """async () => {
            const { violations } = await axe.run(document, { resultTypes: ["violations"] });
            return violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(" ")}: ${n.html}`));
        }"""
    )


def open_with_key(page: Any, stack: LocalStack, token: str) -> None:
    """Open the page as someone who typed `token` in this tab (the page keeps the key in sessionStorage), and wait
    until it has listed that key's jobs."""
    page.add_init_script(f"sessionStorage.setItem('imgpipe.apiKey', {json.dumps(token)})")
    open_page(page, stack)
    page.locator("#recent[data-listed]").wait_for(state="attached")


def listed_ids(page: Any) -> list[str]:
    """The job ids in the recent list, top to bottom."""
    return page.locator("li.recent-job").evaluate_all("(rows) => rows.map((r) => r.dataset.jobId)")  # type: ignore[no-any-return]
