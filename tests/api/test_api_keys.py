"""API keys with identities: each client's key sees only its own jobs; keys are created, listed and revoked with
`imgpipe keys` (a real API process and the CLI against the moto server)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import EndpointConnectionError

from api.auth import ApiKeys
from cli.processes import Service, start_api
from cli.stack import LocalStack
from core.api_keys import DEV_KEY_ID, LOCAL_DEV_API_KEY, ApiKey, ApiKeyStore, token_digest
from core.aws import AwsClients
from core.config import Settings
from core.errors import AuthError
from core.store import JobStore
from tests.support import run_imgpipe

BODY = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}


@pytest.fixture(scope="module")
def keys(stack: LocalStack, clients: AwsClients) -> ApiKeyStore:
    return ApiKeyStore(clients.dynamodb, stack.settings.api_keys_table)


@pytest.fixture(scope="module")
def uncached_api(stack: LocalStack) -> Iterator[Service]:
    """An API that re-reads keys on every request, so that a revocation shows at once."""
    api = start_api({**stack.env, "IMGPIPE_API_KEYS_CACHE_SECONDS": "0"})
    try:
        yield api
    finally:
        api.stop()


def _client(api: Service, token: str) -> httpx.Client:
    return httpx.Client(base_url=api.url, headers={"X-API-Key": token}, timeout=30)


def _new_key(stack: LocalStack, name: str) -> dict[str, Any]:
    done = run_imgpipe(stack, "keys", "create", name, "--rate", "120", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_key_sees_only_its_own_jobs(stack: LocalStack, uncached_api: Service) -> None:
    a, b = _new_key(stack, "client a")["api_key"], _new_key(stack, "client b")["api_key"]
    with _client(uncached_api, a) as api_a, _client(uncached_api, b) as api_b:
        job_id = api_a.post("/v1/jobs", json=BODY).json()["job_id"]
        assert api_a.get(f"/v1/jobs/{job_id}").status_code == 200
        others = api_b.get(f"/v1/jobs/{job_id}")
        missing_id = str(uuid.uuid4())
        missing = api_b.get(f"/v1/jobs/{missing_id}")
    # Exactly like a job that does not exist: nothing tells B that the id is taken.
    assert others.status_code == missing.status_code == 404
    assert others.json()["error"]["code"] == "job_not_found"
    assert others.json()["error"]["message"].replace(job_id, "?") == missing.json()["error"]["message"].replace(
        missing_id, "?"
    )


def test_the_same_idempotency_key_from_two_clients_makes_two_jobs(stack: LocalStack, uncached_api: Service) -> None:
    a, b = _new_key(stack, "idem a")["api_key"], _new_key(stack, "idem b")["api_key"]
    headers = {"Idempotency-Key": "order-1234"}
    with _client(uncached_api, a) as api_a, _client(uncached_api, b) as api_b:
        first = api_a.post("/v1/jobs", json=BODY, headers=headers)
        second = api_b.post("/v1/jobs", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["job_id"] != second.json()["job_id"]


def test_a_revoked_key_is_refused_and_its_jobs_stay(
    stack: LocalStack, uncached_api: Service, clients: AwsClients
) -> None:
    created = _new_key(stack, "leaving client")
    with _client(uncached_api, created["api_key"]) as api:
        job_id = api.post("/v1/jobs", json=BODY).json()["job_id"]
        revoked = run_imgpipe(stack, "keys", "revoke", created["key_id"])
        assert revoked.returncode == 0, revoked.stderr
        refused = api.get(f"/v1/jobs/{job_id}")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "api_key_revoked"
    job = JobStore(clients.dynamodb, stack.settings.jobs_table).get(job_id)
    assert job is not None and job.owner == created["key_id"]


def test_keys_are_listed_without_secrets_and_stored_only_as_hashes(
    stack: LocalStack, keys: ApiKeyStore, clients: AwsClients
) -> None:
    created = _new_key(stack, "listed client")
    listed = run_imgpipe(stack, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    entry = next(k for k in json.loads(listed.stdout) if k["key_id"] == created["key_id"])
    assert entry == {
        "key_id": created["key_id"],
        "name": "listed client",
        "created_at": entry["created_at"],
        "revoked_at": None,
        "rate_per_minute": 120,
    }
    item = clients.dynamodb.get_item(TableName=stack.settings.api_keys_table, Key={"key_id": {"S": created["key_id"]}})[
        "Item"
    ]
    assert created["api_key"] not in json.dumps(item)
    assert item["secret_sha256"]["S"] == token_digest(created["api_key"])


def test_revoking_an_unknown_key_says_so(stack: LocalStack) -> None:
    done = run_imgpipe(stack, "keys", "revoke", "no-such-key")
    assert done.returncode == 1
    assert "no key has id 'no-such-key'" in done.stderr and "Traceback" not in done.stderr


class _Table(ApiKeyStore):
    """The key table as ApiKeys sees it, without DynamoDB: a dict, or failing like an unreachable service."""

    def __init__(self, *found: ApiKey) -> None:
        self.found = {k.key_id: k for k in found}
        self.reads = 0
        self.down = False

    def get(self, key_id: str) -> ApiKey | None:
        self.reads += 1
        if self.down:
            raise EndpointConnectionError(endpoint_url="http://dynamodb")
        return self.found.get(key_id)


def _dev_key() -> ApiKey:
    return ApiKey.model_validate(
        {
            "key_id": DEV_KEY_ID,
            "name": "dev",
            "secret_sha256": token_digest(LOCAL_DEV_API_KEY),
            "signing_secret": "whsec_x",
            "created_at": "2026-12-01T00:00:00+00:00",
            "rate_per_minute": 60,
        }
    )


def test_the_published_dev_key_never_opens_a_deployment() -> None:
    table = _Table(_dev_key())
    assert asyncio.run(ApiKeys(Settings(environment="local"), table).check(LOCAL_DEV_API_KEY)).key_id == DEV_KEY_ID
    with pytest.raises(AuthError) as refused:
        asyncio.run(ApiKeys(Settings(environment="aws"), table).check(LOCAL_DEV_API_KEY))
    assert refused.value.code == "invalid_api_key"


def test_malformed_and_wrong_tokens_are_refused_and_made_up_ids_are_read_once() -> None:
    table = _Table(_dev_key())
    keys = ApiKeys(Settings(api_keys_cache_seconds=60), table)
    for token in ("", "not-a-key", "ipk_local-dev_wrong-secret-of-some-length"):
        with pytest.raises(AuthError):
            asyncio.run(keys.check(token))
    assert table.reads == 1  # only the well-formed token was looked up
    for _ in range(3):
        with pytest.raises(AuthError):
            asyncio.run(keys.check("ipk_madeup_0123456789abcdef0123"))
    assert table.reads == 2


def test_keys_read_before_stay_in_use_while_the_table_is_unreachable() -> None:
    table = _Table(_dev_key())
    keys = ApiKeys(Settings(api_keys_cache_seconds=0), table)
    asyncio.run(keys.check(LOCAL_DEV_API_KEY))
    table.down = True
    assert asyncio.run(keys.check(LOCAL_DEV_API_KEY)).key_id == DEV_KEY_ID
    with pytest.raises(Exception, match="cannot be read"):
        asyncio.run(keys.check("ipk_other_0123456789abcdef0123"))
