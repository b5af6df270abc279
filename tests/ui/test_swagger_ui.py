"""Swagger UI as a newcomer uses it: Authorize with the key, run POST /v1/jobs with the example, get a 201."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from cli.stack import LocalStack


def test_authorize_and_create_a_job_from_swagger_ui(page: Any, stack: LocalStack, api_key: str) -> None:
    assert stack.api is not None
    offline = []
    # Every asset must come from the API itself: a CDN request would fail on a machine without internet.
    page.on("request", lambda r: None if r.url.startswith(stack.api.url) else offline.append(r.url))
    page.goto(f"{stack.api.url}/docs")

    _authorize(page, api_key)

    operation = page.locator("#operations-jobs-createJob")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    body = json.loads(operation.locator("textarea.body-param__text").input_value())
    assert body == {"filename": "holiday.jpg", "content_type": "image/jpeg", "size_bytes": 2481152}
    operation.get_by_role("button", name="Execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "201"
    created = json.loads(operation.locator(".live-responses-table .response-col_description pre").first.inner_text())
    assert uuid.UUID(created["job_id"])
    assert created["status"] == "upload_pending"
    # The job is real: the API reads it back.
    job = httpx.get(f"{stack.api.url}/v1/jobs/{created['job_id']}", headers={"X-API-Key": api_key}).json()
    assert job["filename"] == "holiday.jpg"
    assert offline == []


def test_the_custom_outputs_example_creates_a_job_with_those_outputs(
    page: Any, stack: LocalStack, api_key: str
) -> None:
    assert stack.api is not None
    page.goto(f"{stack.api.url}/docs")
    _authorize(page, api_key)
    operation = page.locator("#operations-jobs-createJob")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator(".examples-select select").first.select_option(
        label="Custom outputs: a square crop and a 2000 px AVIF"
    )
    body = json.loads(operation.locator("textarea.body-param__text").input_value())
    assert [o["name"] for o in body["outputs"]] == ["square-512.webp", "large.avif"]
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "201"
    created = json.loads(operation.locator(".live-responses-table .response-col_description pre").first.inner_text())
    job = httpx.get(f"{stack.api.url}/v1/jobs/{created['job_id']}", headers={"X-API-Key": api_key}).json()
    assert [(o["name"], o["fit"], o["format"]) for o in job["recipe"]] == [
        ("square-512.webp", "cover", "webp"),
        ("large.avif", "inside", "avif"),
    ]


def _authorize(page: Any, api_key: str) -> None:
    page.get_by_role("button", name="Authorize").first.click()
    page.get_by_label("Value:").fill(api_key)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator(".auth-btn-wrapper button.btn-done").click()


def _execute(page: Any, operation_id: str) -> Any:
    """Run an operation without parameters; its response's status cell."""
    operation = page.locator(f"#operations-{operation_id}")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    return status


def test_swagger_ui_keeps_the_key_across_a_reload(page: Any, stack: LocalStack, api_key: str) -> None:
    assert stack.api is not None
    page.goto(f"{stack.api.url}/docs")
    _authorize(page, api_key)
    page.reload()
    assert _execute(page, "jobs-getLimits").inner_text().strip() == "200"


def test_swagger_ui_without_a_key_shows_the_error_body(page: Any, stack: LocalStack) -> None:
    assert stack.api is not None
    page.goto(f"{stack.api.url}/docs")
    operation = page.locator("#operations-jobs-getLimits")
    status = _execute(page, "jobs-getLimits")
    assert status.inner_text().strip() == "401"
    error = json.loads(operation.locator(".live-responses-table .response-col_description pre").first.inner_text())
    assert error["error"]["code"] == "missing_api_key"


def test_redoc_renders_offline(page: Any, stack: LocalStack) -> None:
    assert stack.api is not None
    external = []
    page.on("request", lambda r: None if r.url.startswith((stack.api.url, "blob:")) else external.append(r.url))
    page.goto(f"{stack.api.url}/redoc")
    page.locator("h2", has_text="Create a job and get a presigned upload").wait_for()
    page.get_by_text("API docs by Redocly").wait_for()  # the footer whose logo came from cdn.redoc.ly
    assert external == []
