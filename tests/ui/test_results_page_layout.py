"""The results page on a phone (390 CSS px wide): nothing sticks out sideways, the header stays one row, and a
text list taller than its box says that it scrolls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from cli.stack import LocalStack
from harness.jobs import create_job
from tests.ui.results import finished_job, open_page, sign_analysis

PHONE = {"width": 390, "height": 844}


def _overflowing(page: Any) -> list[str]:
    """The page's horizontal overflow, and each visible element whose right edge passes the viewport's or, inside a
    panel, the panel's content box (a button sticking out of its card)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const width = document.documentElement.clientWidth;
            const limit = (e) => {
                const panel = e.parentElement.closest(".panel");
                if (!panel) return width;
                return panel.getBoundingClientRect().right - parseFloat(getComputedStyle(panel).paddingRight);
            };
            const out = [...document.querySelectorAll("body *")]
                .filter((e) => e.getClientRects().length && !e.closest(".visually-hidden, .panel pre"))
                .filter((e) => e.getBoundingClientRect().right > limit(e) + 0.5)
                .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${e.getBoundingClientRect().right}`);
            const scroll = document.scrollingElement.scrollWidth;
            return scroll > width ? [`page scrollWidth ${scroll} > ${width}`, ...out] : out;
        }"""
    )


def _header_spread(page: Any) -> float:
    """How far apart, vertically, the centres of the header's items are: about 0 on one row, a line's height
    (20+ px) when something wrapped."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
            const centres = [...document.querySelectorAll(".topbar .brand, .topbar nav a")]
                .map((e) => { const r = e.getBoundingClientRect(); return (r.top + r.bottom) / 2; });
            return Math.max(...centres) - Math.min(...centres);
        }"""
    )


def test_a_phone_sees_the_page_without_sideways_scrolling(page: Any, stack: LocalStack) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, stack)
    assert _overflowing(page) == []
    assert _header_spread(page) < 4
    page.locator("#key-toggle").click()  # "Hide" is the longer label
    assert _overflowing(page) == []


def test_the_recent_list_and_its_delete_question_fit_a_phone(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    name = "a-rather-long-file-name-from-a-phone-camera-20261201.jpg"
    job_id = create_job(api, filename=name, content_type="image/jpeg", size=100)["job_id"]
    page.set_viewport_size(PHONE)
    open_page(page, stack)
    row = page.locator(f'li.recent-job[data-job-id="{job_id}"]')
    row.get_by_role("button", name=f"Delete {name}").click()
    assert _overflowing(page) == []

    row.get_by_role("button", name=f"Open {name}").click()  # its card, asking the same question
    card = page.locator(f'article.job[data-job-id="{job_id}"]')
    card.get_by_role("button", name=f"Delete {name}").click()
    card.get_by_role("button", name=f"Yes, delete {name}").wait_for()
    assert _overflowing(page) == []


def test_a_long_text_list_on_a_phone_shows_that_it_scrolls(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    analysis = sign_analysis()
    analysis["lines"] = [{**line, "text": f"{line['text']} #{i}"} for i in range(10) for line in analysis["lines"]]
    page.set_viewport_size(PHONE)
    card = finished_job(page, stack, tmp_path, analysis)
    assert _overflowing(page) == []

    listed = card.locator(".text-lines")
    assert listed.evaluate("(e) => e.scrollHeight > e.clientHeight")  # cut by its max-height
    hint = card.locator(".more-hint")
    assert hint.is_visible()
    assert hint.inner_text() == "Scroll the list for all 30 lines."
    assert listed.get_attribute("data-more") == "true"  # and faded at its bottom edge

    listed.evaluate("(e) => { e.scrollTop = e.scrollHeight; }")
    hint.wait_for(state="hidden")  # at the end: nothing more to say
    assert listed.get_attribute("data-more") == "false"
