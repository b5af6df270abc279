"""API keys from Secrets Manager, re-read at run time: a rotation is honoured once the cache expires, no restart
(a real API process against the moto server's Secrets Manager)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from api.main import create_app
from cli.processes import Service, start_api, wait_until
from cli.stack import LocalStack
from core.aws import AwsClients
from core.config import Settings


@pytest.fixture
def secret_id(clients: AwsClients) -> Iterator[str]:
    name = f"imgpipe-test/api-keys-{uuid.uuid4()}"
    arn = clients.secretsmanager.create_secret(Name=name, SecretString=json.dumps(["key-one"]))["ARN"]
    yield arn
    clients.secretsmanager.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def secret_api(stack: LocalStack, secret_id: str) -> Iterator[Service]:
    env = {**stack.env, "IMGPIPE_API_KEYS_SECRET_ID": secret_id, "IMGPIPE_API_KEYS_CACHE_SECONDS": "1"}
    api = start_api(env)
    try:
        yield api
    finally:
        api.stop()


def _status(api: Service, key: str) -> int:
    return httpx.get(f"{api.url}/v1/limits", headers={"X-API-Key": key}, timeout=30).status_code


def test_a_rotated_secret_is_honoured_after_the_cache_expires(
    secret_api: Service, secret_id: str, clients: AwsClients, api_key: str
) -> None:
    assert _status(secret_api, "key-one") == 200
    assert _status(secret_api, api_key) == 401  # IMGPIPE_API_KEYS is not used when the secret is set
    # Rotation: the new key joins, clients move over, the old key leaves. No deploy, no restart.
    clients.secretsmanager.put_secret_value(SecretId=secret_id, SecretString=json.dumps(["key-one", "key-two"]))
    wait_until(lambda: _status(secret_api, "key-two") == 200, timeout=30, what="the new key to be accepted")
    assert _status(secret_api, "key-one") == 200
    clients.secretsmanager.put_secret_value(SecretId=secret_id, SecretString=json.dumps(["key-two"]))
    wait_until(lambda: _status(secret_api, "key-one") == 401, timeout=30, what="the old key to be refused")
    assert _status(secret_api, "key-two") == 200
    assert secret_api.alive()


def test_a_bad_secret_value_keeps_the_last_good_keys(secret_api: Service, secret_id: str, clients: AwsClients) -> None:
    assert _status(secret_api, "key-one") == 200
    clients.secretsmanager.put_secret_value(SecretId=secret_id, SecretString="key-two")  # not a JSON list
    time.sleep(2)  # the 1 s cache expires: a timer, no event to await
    assert _status(secret_api, "key-one") == 200
    assert _status(secret_api, "key-two") == 401


def test_the_api_refuses_to_start_without_any_key_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGPIPE_API_KEYS", raising=False)
    with pytest.raises(ValueError, match="IMGPIPE_API_KEYS_SECRET_ID"):
        create_app(Settings(environment="aws", analysis_engine="off"))
    assert create_app(Settings(environment="aws", api_keys_secret_id="imgpipe/api-keys")) is not None
