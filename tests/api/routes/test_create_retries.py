"""Creating a job is safe to retry: after a lost answer (botocore's own retry) and with an Idempotency-Key (the
client's retry), over real HTTP against the local stack."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cli.processes import Service, start_api
from cli.stack import LocalStack
from core.idempotency import fingerprint, record_id
from tests.support import fault_env

BODY = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}


@pytest.fixture
def lossy_api(stack: LocalStack, tmp_path: Path) -> Iterator[tuple[Service, Path]]:
    """An API of its own on the stack, whose next DynamoDB put loses its answer once `flag` exists."""
    flag = tmp_path / "lose-next-put-answer"
    # Really written, then its answer lost (a read timeout) as on a slow network; botocore's retry mode then sends
    # the put again, exactly what a slow DynamoDB does to a create. Once per touch of the flag.
    lose_answer = {
        "service": "dynamodb",
        "operation": "PutItem",
        "action": "lose_answer",
        "flag": str(flag),
        "once": True,
    }
    api = start_api({**stack.env, **fault_env(lose_answer)})
    try:
        yield api, flag
    finally:
        api.stop()


def test_a_create_whose_answer_was_lost_still_answers_201(lossy_api: tuple[Service, Path], api_key: str) -> None:
    api, flag = lossy_api
    flag.touch()
    response = httpx.post(f"{api.url}/v1/jobs", json=BODY, headers={"X-API-Key": api_key}, timeout=30)
    assert not flag.exists(), "the fault did not fire"
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]
    assert httpx.get(f"{api.url}/v1/jobs/{job_id}", headers={"X-API-Key": api_key}).json()["status"] == (
        "upload_pending"
    )


def test_an_idempotent_create_whose_answers_were_lost_is_created_once(
    lossy_api: tuple[Service, Path], api_key: str
) -> None:
    api, flag = lossy_api
    headers = {"X-API-Key": api_key, "Idempotency-Key": str(uuid.uuid4())}
    flag.touch()  # the key's binding is written, its answer lost
    first = httpx.post(f"{api.url}/v1/jobs", json=BODY, headers=headers, timeout=30)
    assert not flag.exists() and first.status_code == 201, first.text
    flag.touch()  # now the job's put
    again = httpx.post(f"{api.url}/v1/jobs", json=BODY, headers=headers, timeout=30)
    assert not flag.exists() and again.status_code == 201, again.text
    assert again.json()["job_id"] == first.json()["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_and_body_replay_the_same_job(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    first = api.post("/v1/jobs", json=BODY, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    # The same parameters in another order and spacing are the same request.
    reordered = b'{ "size_bytes": 10, "content_type": "image/png", "filename": "a.png" }'
    replay = api.post(
        "/v1/jobs", content=reordered, headers={"Idempotency-Key": key, "Content-Type": "application/json"}
    )
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["job_id"] == first.json()["job_id"]
    assert replay.json()["upload"]["fields"]["key"] == first.json()["upload"]["fields"]["key"]
    assert replay.json()["upload"]["expires_at"] == first.json()["upload"]["expires_at"]
    # Without the key, the same body is a new job.
    assert api.post("/v1/jobs", json=BODY).json()["job_id"] != first.json()["job_id"]


def test_the_same_key_with_another_body_is_refused(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    assert api.post("/v1/jobs", json=BODY, headers={"Idempotency-Key": key}).status_code == 201
    other = api.post("/v1/jobs", json={**BODY, "size_bytes": 11}, headers={"Idempotency-Key": key})
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_key_too_long_is_a_validation_error(api: httpx.Client) -> None:
    response = api.post("/v1/jobs", json=BODY, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"


def test_keys_are_scoped_to_the_caller_and_bodies_fingerprinted_by_content() -> None:
    assert record_id("caller-a", "k") != record_id("caller-b", "k")
    assert "caller-a" not in record_id("caller-a", "k")  # the API key itself is never stored
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1}) != fingerprint({"a": 1, "b": 3})
