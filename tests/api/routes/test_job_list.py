"""GET /v1/jobs (list, status filter, lookup by client_ref) and DELETE /v1/jobs/{id}, over HTTP on the local stack:
each API key sees, lists and deletes only its own jobs."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cli.stack import LocalStack
from core.api_keys import key_id_of
from core.aws import AwsClients
from core.jobs import Job, JobErrorInfo, new_job
from core.keys import upload_key
from core.store import JobStore
from harness.images import png
from harness.jobs import create_job, submit, tenant_client, wait_for_job
from tests.support import RESULT, job_item, job_outputs

BODY = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}


@pytest.fixture
def alice(stack: LocalStack, clients: AwsClients) -> Iterator[httpx.Client]:
    with tenant_client(stack, clients, "alice") as client:
        yield client


@pytest.fixture
def bob(stack: LocalStack, clients: AwsClients) -> Iterator[httpx.Client]:
    with tenant_client(stack, clients, "bob") as client:
        yield client


def _owner(client: httpx.Client) -> str:
    key_id = key_id_of(client.headers["X-API-Key"])
    assert key_id is not None
    return key_id


def _create(client: httpx.Client, name: str, ref: str | None = None) -> str:
    return create_job(client, filename=name, content_type="image/png", size=10, client_ref=ref)["job_id"]  # type: ignore[no-any-return]


def _pages(client: httpx.Client, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        response = client.get("/v1/jobs", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["jobs"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [job["job_id"] for page in pages for job in page]


def _stored(store: JobStore, owner: str, *, minutes_ago: float = 0, ref: str | None = None) -> Job:
    """A job of `owner` stored as the API creates it, `minutes_ago` (its 15-minute upload window from then)."""
    job_id = str(uuid.uuid4())
    job = new_job(
        job_id=job_id,
        owner=owner,
        filename=f"{job_id}.png",
        client_ref=ref,
        content_type="image/png",
        declared_size=10,
        upload_key=upload_key(job_id),
        upload_window=timedelta(minutes=15),
        retention=timedelta(days=30),
        now=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )
    return store.create(job)


def test_each_key_lists_only_its_own_jobs_newest_first_page_by_page(
    alice: httpx.Client, bob: httpx.Client, api: httpx.Client
) -> None:
    mine = [_create(alice, f"a{i}.png") for i in range(5)]
    theirs = [_create(bob, f"b{i}.png") for i in range(2)]

    pages = _pages(alice, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert _ids(pages) == mine[::-1]
    assert _ids(_pages(bob)) == theirs[::-1]
    # The dev key's own jobs are not Alice's or Bob's either.
    assert not set(_ids(_pages(api, limit=100))) & set(mine + theirs)
    # Each entry is the job as GET shows it.
    listed = pages[0][0]
    assert listed == alice.get(f"/v1/jobs/{mine[-1]}").json()
    assert listed["filename"] == "a4.png" and listed["status"] == "upload_pending"


def test_limit_is_checked(alice: httpx.Client) -> None:
    for limit in (0, 101, "x"):
        response = alice.get("/v1/jobs", params={"limit": limit})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"


def test_a_cursor_only_pages_through_the_list_of_the_key_it_was_given_to(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    for i in range(3):
        _create(alice, f"c{i}.png", ref="batch-7")
    _create(bob, "b.png")
    cursor = alice.get("/v1/jobs", params={"limit": 1}).json()["next_cursor"]
    assert cursor

    position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    position["owner"] = _owner(bob)  # Alice edits her cursor to point into Bob's list
    edited = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
    ref_cursor = alice.get("/v1/jobs", params={"limit": 1, "client_ref": "batch-7"}).json()["next_cursor"]

    refused = [
        bob.get("/v1/jobs", params={"cursor": cursor}),  # Alice's cursor in Bob's hands
        alice.get("/v1/jobs", params={"cursor": edited}),
        alice.get("/v1/jobs", params={"cursor": "not a cursor"}),
        alice.get("/v1/jobs", params={"cursor": cursor[:-6]}),
        alice.get("/v1/jobs", params={"cursor": cursor, "client_ref": "batch-7"}),  # another list's cursor
        alice.get("/v1/jobs", params={"cursor": ref_cursor, "client_ref": "batch-8"}),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_status_filter_pages_until_enough_match_and_tells_pending_from_expired(
    alice: httpx.Client, store: JobStore
) -> None:
    owner = _owner(alice)
    expired = _stored(store, owner, minutes_ago=60)  # its upload window closed 45 minutes ago
    old_pending = _stored(store, owner, minutes_ago=10)  # 5 minutes of its window left
    done = _stored(store, owner, minutes_ago=5)
    claimed = store.claim(done.job_id, etag="e", lease_seconds=60)
    assert claimed is not None and store.complete(claimed, RESULT) is not None
    broken = _stored(store, owner, minutes_ago=4)
    claimed = store.claim(broken.job_id, etag="e", lease_seconds=60)
    assert claimed is not None
    assert store.fail(claimed, JobErrorInfo(code="corrupt_image", message="broken")) is not None
    new_pending = _stored(store, owner, minutes_ago=1)

    def listed(status: str) -> list[str]:
        pages = _pages(alice, status=status, limit=1)
        assert all(len(page) <= 1 for page in pages)
        jobs = [job for page in pages for job in page]
        assert all(job["status"] == status for job in jobs), jobs
        return [job["job_id"] for job in jobs]

    assert listed("upload_pending") == [new_pending.job_id, old_pending.job_id]
    assert listed("expired") == [expired.job_id]
    assert listed("completed") == [done.job_id]
    assert listed("failed") == [broken.job_id]
    assert listed("processing") == []
    expired_view = alice.get("/v1/jobs", params={"status": "expired"}).json()["jobs"][0]
    assert expired_view["error"]["code"] == "upload_expired"

    for bad in ("deleted", "done"):
        response = alice.get("/v1/jobs", params={"status": bad})
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"


def test_client_ref_is_kept_shown_and_finds_the_jobs_that_carry_it(alice: httpx.Client, bob: httpx.Client) -> None:
    ref = "invoice 2026/11 #42 ünïcode"
    first = _create(alice, "one.png", ref=ref)
    _create(alice, "other.png", ref="invoice 2026/11 #43")
    second = _create(alice, "two.png", ref=ref)
    bobs = _create(bob, "bob.png", ref=ref)

    assert alice.get(f"/v1/jobs/{first}").json()["client_ref"] == ref
    found = _pages(alice, client_ref=ref, limit=1)
    assert _ids(found) == [second, first]
    assert found[0][0]["client_ref"] == ref
    assert _ids(_pages(bob, client_ref=ref)) == [bobs]
    assert _ids(_pages(alice, client_ref="invoice")) == []  # exact match, not a prefix
    assert _ids(_pages(alice, client_ref=ref, status="upload_pending")) == [second, first]
    assert (
        _create(alice, "no-ref.png")
        and alice.get("/v1/jobs", params={"limit": 1}).json()["jobs"][0]["client_ref"] is None
    )


@pytest.mark.parametrize("ref", ["", "x" * 201, "tab\there", "line\nbreak", "nul\x00"])
def test_bad_client_refs_are_refused_at_creation_and_lookup(alice: httpx.Client, ref: str) -> None:
    created = alice.post("/v1/jobs", json={**BODY, "client_ref": ref})
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "validation_error"
    assert "client_ref" in created.json()["error"]["details"]["errors"][0]["location"]
    looked_up = alice.get("/v1/jobs", params={"client_ref": ref})
    assert looked_up.status_code == 422, looked_up.text
    assert looked_up.json()["error"]["code"] == "validation_error"


def test_client_ref_is_part_of_the_idempotency_fingerprint(alice: httpx.Client) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = alice.post("/v1/jobs", json={**BODY, "client_ref": "r1"}, headers=headers)
    again = alice.post("/v1/jobs", json={**BODY, "client_ref": "r1"}, headers=headers)
    other = alice.post("/v1/jobs", json={**BODY, "client_ref": "r2"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["job_id"] == first.json()["job_id"]
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_deleted_job_and_its_files_are_gone_for_good(
    stack: LocalStack, clients: AwsClients, alice: httpx.Client, bob: httpx.Client
) -> None:
    job_id = submit(alice, png(64, 48), "image/png", filename="private.png")
    assert wait_for_job(alice, job_id)["status"] == "completed"
    assert job_outputs(clients, stack, job_id)

    # Bob can neither delete nor see it: the same answer as for a job that does not exist.
    others = bob.delete(f"/v1/jobs/{job_id}")
    missing = bob.delete(f"/v1/jobs/{uuid.uuid4()}")
    assert others.status_code == missing.status_code == 404
    assert others.json()["error"]["code"] == "job_not_found"
    assert alice.get(f"/v1/jobs/{job_id}").json()["status"] == "completed"

    deleted = alice.delete(f"/v1/jobs/{job_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 404
    assert alice.delete(f"/v1/jobs/{job_id}").status_code == 404
    assert job_id not in _ids(_pages(alice, limit=100))
    assert job_id not in _ids(_pages(alice, status="completed", limit=100))
    assert job_outputs(clients, stack, job_id) == []
    uploads = clients.s3.list_objects_v2(Bucket=stack.settings.uploads_bucket, Prefix=f"uploads/{job_id}/")
    assert uploads.get("KeyCount", 0) == 0
    # The tombstone: no result, no file name, out of every index; its TTL is the job's.
    item = job_item(clients, stack, job_id)
    assert item["status"] == "deleted" and item["filename"] == ""
    assert not {"result", "created_key", "owner_ref", "lease_shard", "client_ref"} & set(item)
    assert item["owner"] == _owner(alice) and "expires_at" in item


def test_pending_jobs_can_be_deleted_and_looked_up_no_more(alice: httpx.Client) -> None:
    job_id = _create(alice, "p.png", ref="gone-soon")
    assert alice.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert _ids(_pages(alice, client_ref="gone-soon")) == []
    assert alice.delete("/v1/jobs/not-a-uuid").json()["error"]["code"] == "invalid_job_id"


def test_replaying_the_create_of_a_deleted_job_says_it_was_deleted(alice: httpx.Client) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    job_id = alice.post("/v1/jobs", json=BODY, headers=headers).json()["job_id"]
    assert alice.delete(f"/v1/jobs/{job_id}").status_code == 204
    replay = alice.post("/v1/jobs", json=BODY, headers=headers)
    assert replay.status_code == 404, replay.text
    assert replay.json()["error"]["code"] == "job_not_found"
    assert "was deleted" in replay.json()["error"]["message"]


def test_the_list_and_the_delete_are_documented_with_examples(stack: LocalStack) -> None:
    assert stack.api is not None
    spec = httpx.get(f"{stack.api.url}/openapi.json").json()
    listing = spec["paths"]["/v1/jobs"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"status", "limit", "cursor", "client_ref"}
    assert "invalid_cursor" in listing["responses"]["400"]["content"]["application/json"]["examples"]
    page = spec["components"]["schemas"]["JobList"]
    assert page["examples"][0]["jobs"][0]["client_ref"] and page["examples"][0]["next_cursor"]
    removal = spec["paths"]["/v1/jobs/{job_id}"]["delete"]
    assert "204" in removal["responses"]
    assert "job_not_found" in removal["responses"]["404"]["content"]["application/json"]["examples"]
    assert "client_ref" in spec["components"]["schemas"]["CreateJobRequest"]["properties"]
