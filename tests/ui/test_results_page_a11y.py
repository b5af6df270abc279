"""The results page for people who use a keyboard or a screen reader: axe-core (vendored, tests/ui/assets) finds
no serious or critical issue in any state of the page, and everything a mouse can do, Tab and Enter can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from cli.stack import LocalStack
from harness.jobs import create_job
from tests.ui.results import finished_job, load_axe, open_page, serious_violations, sign


def test_axe_finds_no_serious_issue_without_a_key(page: Any, stack: LocalStack) -> None:
    load_axe(page)
    open_page(page, stack)
    page.locator("#api-key").fill("")
    page.locator('#key-status[data-kind="warn"]').wait_for()
    assert serious_violations(page) == []


def test_axe_finds_no_serious_issue_with_the_key_accepted(page: Any, stack: LocalStack) -> None:
    load_axe(page)
    open_page(page, stack)
    assert serious_violations(page) == []


def test_axe_finds_no_serious_issue_on_a_finished_job_with_text_boxes(
    page: Any, stack: LocalStack, tmp_path: Path
) -> None:
    load_axe(page)
    card = finished_job(page, stack, tmp_path)
    card.locator("details.raw summary").click()  # the raw JSON open too: a scrolling region
    assert card.locator(".box-lines").count() == 3
    assert serious_violations(page) == []


def test_axe_finds_no_serious_issue_in_the_recent_list_and_its_delete_question(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    job_id = create_job(api, filename="listed.png", content_type="image/png", size=100)["job_id"]
    load_axe(page)
    open_page(page, stack)
    row = page.locator(f'li.recent-job[data-job-id="{job_id}"]')
    row.get_by_role("button", name="Delete listed.png").click()
    row.get_by_role("button", name="Yes, delete listed.png").wait_for()
    assert serious_violations(page) == []


def test_axe_finds_no_serious_issue_while_a_job_is_being_created(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    """The in-progress colours (status pill, active step) are the ones a finished card no longer shows."""
    held: list[Any] = []
    page.route(
        "**/v1/jobs", lambda route: held.append(route)
    )  # the job's creation waits here while axe looks at the card
    load_axe(page)
    open_page(page, stack)
    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    page.locator('article.job[data-status="creating"] .steps li.active').wait_for()
    assert serious_violations(page) == []
    assert len(held) == 1


def _tab_until(page: Any, predicate: str, limit: int = 60) -> list[str]:
    """Press Tab until `predicate` (JS, on document.activeElement) holds; the ids/classes focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => { const a = document.activeElement; return a.id || a.className; }"))
        if page.evaluate(f"() => {{ const a = document.activeElement; return Boolean({predicate}); }}"):
            return seen
    raise AssertionError(f"Tab never reached {predicate}: {seen}")


def test_the_drop_zone_is_a_named_button_reached_by_tab_and_the_file_input_is_not(page: Any, stack: LocalStack) -> None:
    open_page(page, stack)
    zone = page.get_by_role("button", name="Drop images here or choose files")
    assert zone.count() == 1
    seen = _tab_until(page, "a.id === 'drop-zone'")
    assert "file-input" not in seen  # the hidden 1x1 input never takes the focus
    # The focus is visible: an outline drawn around the zone.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    # Enter asks the file input to open its chooser. (Seen by a listener: Playwright's "filechooser" event did not
    # arrive when this test ran after others in the same browser, though it did alone.)
    page.evaluate("() => document.querySelector('#file-input').addEventListener('click', () => window.chosen = 1)")
    page.keyboard.press("Enter")
    assert page.evaluate("() => window.chosen") == 1


def test_text_lists_scroll_by_keyboard_and_a_focused_line_highlights_its_box(
    page: Any, stack: LocalStack, tmp_path: Path
) -> None:
    card = finished_job(page, stack, tmp_path)
    # Both scrolling text regions take the focus (the list through its lines), so arrows and Tab scroll them.
    _tab_until(page, "a.matches('.full-text')")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.matches('.text-lines li')")
    assert card.locator(".box-lines.hot").count() == 1
    assert card.locator('.box-lines.hot[data-index="0"]').count() == 1
    page.keyboard.press("Tab")
    assert card.locator('.box-lines.hot[data-index="1"]').count() == 1
    assert card.locator(".box-lines.hot").count() == 1
