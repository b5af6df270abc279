"""Jobs through the API as a client does: create, upload with the presigned POST, wait for the outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from cli.processes import wait_until
from core.api_keys import LOCAL_DEV_API_KEY, ApiKeyStore
from core.jobs import TERMINAL

if TYPE_CHECKING:
    from cli.stack import LocalStack
    from core.aws import AwsClients


def api_client(stack: LocalStack, timeout: float = 30) -> httpx.Client:
    """An HTTP client for the stack's API, authorised with the local stack's dev key."""
    assert stack.api is not None and stack.api.url is not None
    return httpx.Client(base_url=stack.api.url, headers={"X-API-Key": LOCAL_DEV_API_KEY}, timeout=timeout)


def tenant_client(stack: LocalStack, clients: AwsClients, name: str) -> httpx.Client:
    """An HTTP client for the stack's API with an API key of its own: one more client (tenant) of the service."""
    assert stack.api is not None and stack.api.url is not None
    _, token = ApiKeyStore(clients.dynamodb, stack.settings.api_keys_table).create(name, rate_per_minute=100_000)
    return httpx.Client(base_url=stack.api.url, headers={"X-API-Key": token}, timeout=30)


def create_job(api: httpx.Client, *, filename: str, content_type: str, size: int, **fields: Any) -> dict[str, Any]:
    """Create a job; `fields` are the body's optional fields (client_ref, callback_url, ...)."""
    body = {"filename": filename, "content_type": content_type, "size_bytes": size, **fields}
    response = api.post("/v1/jobs", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def post_upload(upload: dict[str, Any], data: bytes, content_type: str) -> httpx.Response:
    return httpx.post(upload["url"], data=upload["fields"], files={"file": ("f", data, content_type)}, timeout=30)


def submit(api: httpx.Client, data: bytes, content_type: str, filename: str = "image", **fields: Any) -> str:
    """Create a job (`fields`: more of its body) and upload `data` with its presigned POST, as a client would.
    Returns the job id."""
    created = create_job(api, filename=filename, content_type=content_type, size=max(1, len(data)), **fields)
    response = post_upload(created["upload"], data, content_type)
    assert response.status_code in (200, 201, 204), response.text
    return created["job_id"]  # type: ignore[no-any-return]


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the API until the job reaches a terminal status."""
    seen: dict[str, Any] = {}

    def done() -> bool:
        seen.update(api.get(f"/v1/jobs/{job_id}").json())
        return seen.get("status") in TERMINAL

    wait_until(done, timeout=timeout, what=f"job {job_id} to end (last seen: {seen.get('status')})")
    return seen
