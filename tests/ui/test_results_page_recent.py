"""The results page lists the key's recent jobs from the API (GET /v1/jobs): the same list in a browser that never
saw them, never another key's jobs, a page at a time, and a job deleted from its row or its card is gone."""

from __future__ import annotations

import json
from typing import Any

import httpx

from cli.stack import LocalStack
from core.aws import AwsClients
from harness.jobs import create_job, tenant_client
from tests.ui.results import listed_ids, open_page, open_with_key


def _jobs(client: httpx.Client, count: int, prefix: str) -> list[str]:
    """`count` jobs made through the API, newest first (as the page lists them)."""
    made = [
        create_job(client, filename=f"{prefix}-{i}.png", content_type="image/png", size=100)["job_id"]
        for i in range(count)
    ]
    return made[::-1]


def _key(client: httpx.Client) -> str:
    return str(client.headers["X-API-Key"])


def test_a_fresh_browser_lists_the_keys_jobs_and_not_another_keys(
    page: Any, browser: Any, stack: LocalStack, clients: AwsClients
) -> None:
    with tenant_client(stack, clients, "page-alice") as alice, tenant_client(stack, clients, "page-bob") as bob:
        alices = _jobs(alice, 2, "alice")
        bobs = _jobs(bob, 1, "bob")

        open_with_key(page, stack, _key(alice))  # a new browser context: nothing stored from earlier visits
        assert listed_ids(page) == alices
        row = page.locator(f'li.recent-job[data-job-id="{alices[0]}"]')
        assert row.locator(".recent-file").inner_text() == "alice-1.png"
        assert row.locator(".status-pill").inner_text().lower() == "upload pending"
        assert page.locator("#recent-status").inner_text() == "2 jobs, newest first."

        page.reload()  # the list survives a reload
        page.locator("#recent[data-listed]").wait_for(state="attached")
        assert listed_ids(page) == alices

        # Another browser (its own context) with the same key sees the same list.
        other = browser.new_context()
        try:
            elsewhere = other.new_page()
            open_with_key(elsewhere, stack, _key(alice))
            assert listed_ids(elsewhere) == alices
        finally:
            other.close()

        # Another key typed in the field: only that key's jobs.
        page.locator("#api-key").fill(_key(bob))
        page.locator(f'li.recent-job[data-job-id="{bobs[0]}"]').wait_for()
        assert listed_ids(page) == bobs

        # A listed job opens as a card.
        page.get_by_role("button", name="Open bob-0.png").click()
        card = page.locator(f'article.job[data-job-id="{bobs[0]}"]')
        card.and_(page.locator('[data-status="upload_pending"]')).wait_for()


def test_load_more_pages_through_the_keys_jobs(page: Any, stack: LocalStack, clients: AwsClients) -> None:
    with tenant_client(stack, clients, "page-carol") as carol:
        made = _jobs(carol, 12, "carol")
        open_with_key(page, stack, _key(carol))
        assert listed_ids(page) == made[:10]  # a page of 10, newest first
        more = page.get_by_role("button", name="Load more")
        more.click()
        page.locator("li.recent-job").nth(11).wait_for()
        assert listed_ids(page) == made
        more.wait_for(state="hidden")  # no further page
        assert page.locator("#recent-status").inner_text() == "12 jobs, newest first."


def test_delete_from_a_row_or_a_card_asks_first_then_the_job_is_gone(
    page: Any, stack: LocalStack, clients: AwsClients
) -> None:
    with tenant_client(stack, clients, "page-dave") as dave:
        newer, older = _jobs(dave, 2, "dave")
        open_with_key(page, stack, _key(dave))
        row = page.locator(f'li.recent-job[data-job-id="{older}"]')

        # Delete asks first; No keeps the job.
        row.get_by_role("button", name="Delete dave-0.png").click()
        assert page.evaluate("() => document.activeElement.textContent") == "No"  # the safe answer has the focus
        row.get_by_role("button", name="No, keep dave-0.png").click()
        assert dave.get(f"/v1/jobs/{older}").status_code == 200

        row.get_by_role("button", name="Delete dave-0.png").click()
        row.get_by_role("button", name="Yes, delete dave-0.png").click()
        row.wait_for(state="detached")
        assert page.evaluate("() => document.activeElement.id") == "recent-title"  # the focus is not lost
        assert dave.get(f"/v1/jobs/{older}").status_code == 404
        assert page.locator("#recent-status").inner_text() == "dave-0.png was deleted."

        # From the job's card: the card and its row go.
        page.get_by_role("button", name="Open dave-1.png").click()
        card = page.locator(f'article.job[data-job-id="{newer}"]')
        card.and_(page.locator('[data-status="upload_pending"]')).wait_for()
        card.get_by_role("button", name="Delete dave-1.png").click()
        card.get_by_role("button", name="Yes, delete dave-1.png").click()
        card.wait_for(state="detached")
        assert page.locator("li.recent-job").count() == 0
        response = dave.get(f"/v1/jobs/{newer}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "job_not_found"

        page.reload()
        page.locator("#recent[data-listed]").wait_for(state="attached")
        assert listed_ids(page) == []
        assert page.locator("#recent-status").inner_text() == "No jobs with this key yet."


def test_a_list_that_could_not_load_is_tried_again_at_the_next_key_check(
    page: Any, stack: LocalStack, clients: AwsClients
) -> None:
    with tenant_client(stack, clients, "page-erin") as erin:
        made = _jobs(erin, 1, "erin")
        unavailable = {"error": {"code": "dependency_unavailable", "message": "The job table is unavailable."}}
        page.route("**/v1/jobs?*", lambda route: route.fulfill(status=503, json=unavailable))  # only the list fails
        page.add_init_script(f"sessionStorage.setItem('imgpipe.apiKey', {json.dumps(_key(erin))})")
        open_page(page, stack)
        status = page.locator("#recent-status")
        page.wait_for_function("() => document.querySelector('#recent-status').textContent.startsWith('Cannot list')")
        assert status.inner_text() == "Cannot list your jobs: The job table is unavailable."
        assert listed_ids(page) == []

        page.unroute("**/v1/jobs?*")
        page.locator("#api-key").press("End")
        page.locator("#api-key").type(" ")  # the same key (spaces are trimmed): checked again
        page.locator("#recent[data-listed]").wait_for(state="attached")
        assert listed_ids(page) == made
        assert status.inner_text() == "1 job, newest first."
