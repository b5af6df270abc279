"""The results page keeps track of jobs as a user expects: after a reload a job is in the key's list and opens from
it, any job opens by its id, and the key line says when the API cannot be reached instead of still saying the key
was accepted."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from cli.stack import LocalStack
from tests.ui.results import finished_job, listed_ids, open_page, sign, wait_for_images


def test_after_a_reload_the_job_is_listed_and_opens_with_its_results(
    page: Any, stack: LocalStack, tmp_path: Path
) -> None:
    card = finished_job(page, stack, tmp_path)
    job_id = card.get_attribute("data-job-id")
    row = page.locator(f'li.recent-job[data-job-id="{job_id}"]')
    row.locator('.status-pill[data-status="completed"]').wait_for()  # listed as soon as it was made, kept in step

    page.reload()
    page.locator("#recent[data-listed]").wait_for(state="attached")
    assert page.locator("article.job").count() == 0  # cards are not restored: the list is
    assert listed_ids(page)[0] == job_id  # the newest of the key's jobs
    row.get_by_role("button", name="Open sign.png").click()
    back = page.locator(f'article.job[data-job-id="{job_id}"]')
    back.and_(page.locator('[data-status="completed"]')).wait_for()
    assert back.locator(".job-file").inner_text() == "sign.png"
    wait_for_images(page, "article.job img.thumb")
    assert back.locator(".box-lines").count() == 3

    # Closing a card only closes it: the job stays listed.
    back.locator(".job-close").click()
    assert page.locator("article.job").count() == 0
    assert row.count() == 1


def test_a_job_opens_by_its_id(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    created = api.post("/v1/jobs", json={"filename": "later.jpg", "content_type": "image/jpeg", "size_bytes": 1234})
    job_id = created.json()["job_id"]
    open_page(page, stack)

    page.get_by_label("Open a job by id").fill(job_id)
    page.get_by_role("button", name="Open", exact=True).click()
    card = page.locator(f'article.job[data-job-id="{job_id}"]')
    card.and_(page.locator('[data-status="upload_pending"]')).wait_for()
    assert card.locator(".job-file").inner_text() == "later.jpg"
    assert card.locator(".job-status").inner_text().lower() == "upload pending"

    unknown = str(uuid.uuid4())
    page.get_by_label("Open a job by id").fill(unknown)
    page.get_by_label("Open a job by id").press("Enter")
    missing = page.locator(f'article.job[data-job-id="{unknown}"]')
    missing.and_(page.locator('[data-status="refused"]')).wait_for()
    assert missing.locator(".error-code").inner_text() == "job_not_found"

    # The job was made with the page's key: it is in the list after a reload; the unknown id is not.
    page.reload()
    page.locator("#recent[data-listed]").wait_for(state="attached")
    assert job_id in listed_ids(page) and unknown not in listed_ids(page)


def test_the_key_line_says_when_the_api_cannot_be_reached(page: Any, stack: LocalStack, tmp_path: Path) -> None:
    open_page(page, stack)
    assert page.locator("#key-status").inner_text().startswith("Key accepted")

    page.route("**/v1/**", lambda route: route.abort("connectionrefused"))  # the API goes down
    page.set_input_files("#file-input", str(sign(tmp_path / "sign.png")))
    refused = page.locator('article.job[data-status="refused"]')
    refused.wait_for()
    assert refused.locator(".error-code").inner_text() == "api_unreachable"
    status = page.locator('#key-status[data-kind="error"]')
    status.wait_for()
    assert "Cannot reach the API" in status.inner_text()

    # Opened while the API is down: never "Key accepted".
    page.reload()
    page.locator('#key-status[data-kind="error"]').wait_for()
    assert "Cannot reach the API" in page.locator("#key-status").inner_text()

    page.unroute("**/v1/**")  # back up: the next check gets through and says so
    page.locator("#api-key").press("End")
    page.locator("#api-key").type(" ")
    page.locator('#key-status[data-kind="ok"]').wait_for()
