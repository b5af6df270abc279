"""API keys with identities: each is a DynamoDB item (id, name, a hash of its secret, a webhook signing secret,
created and revoked times, a rate), managed by the operator with `imgpipe keys` and read by the API.

A key as the client holds it is one token, `ipk_<key id>_<secret>`: the id names the item, so checking a key is one
GetItem, never a scan. Only the SHA-256 of the token is stored. A plain hash suffices because the secret is 256
random bits (no dictionary to try), and it keeps a check cheap; the comparison is constant-time.

Why a table and not the Secrets Manager secret used before: keys now carry data of their own (owner of jobs, rate,
signing secret, revoked time), are created and revoked one at a time by several operators (no read-modify-write of
one JSON blob, no 64 KiB ceiling), and the table is in the same store the API already depends on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, SecretStr

from core.conditional import is_condition_failure
from core.items import deserializer, serializer
from core.jobs import utcnow

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TOKEN_PREFIX = "ipk"  # noqa: S105 - a label, not a secret
# The local stack's published key: seeded by the local provisioning only, refused by the API outside `local`.
DEV_KEY_ID = "local-dev"
LOCAL_DEV_API_KEY = f"{TOKEN_PREFIX}_{DEV_KEY_ID}_imgpipe-local-dev-key"
# Secret of the dev key's webhooks: published too, so that `imgpipe webhooks listen` verifies local deliveries.
LOCAL_DEV_SIGNING_SECRET = "whsec_imgpipe-local-dev-signing-secret"  # noqa: S105 - published on purpose

_KEY_ID = re.compile(r"[a-z0-9-]{1,32}")
_TOKEN = re.compile(rf"{TOKEN_PREFIX}_({_KEY_ID.pattern})_([A-Za-z0-9_-]{{16,128}})")


class ApiKey(BaseModel):
    key_id: str = Field(description="Public id of the key: the owner recorded on its jobs.")
    name: str = Field(description="What the operator called it (a client, a team).")
    secret_sha256: str = Field(description="SHA-256 (hex) of the whole token; the token itself is never stored.")
    signing_secret: SecretStr = Field(description="Signs the webhooks of this key's jobs.")
    created_at: datetime
    revoked_at: datetime | None = None
    rate_per_minute: int = Field(description="Requests per minute this key may make.")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def key_id_of(token: str) -> str | None:
    """The key id a token names, or None if it is not shaped like a token at all."""
    match = _TOKEN.fullmatch(token)
    return match.group(1) if match else None


def matches(key: ApiKey, token: str) -> bool:
    return hmac.compare_digest(key.secret_sha256, token_digest(token))


def _from_item(item: dict[str, Any]) -> ApiKey:
    return ApiKey.model_validate({k: deserializer.deserialize(v) for k, v in item.items()})


def _new_key_id() -> str:
    return secrets.token_hex(6)


class ApiKeyStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def create(
        self,
        name: str,
        *,
        rate_per_minute: int,
        key_id: str | None = None,
        token: str | None = None,
        signing_secret: str | None = None,
        now: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key and its token (shown once). `key_id`/`token`/`signing_secret` are for the local dev key only."""
        key_id = key_id or _new_key_id()
        if not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"key id {key_id!r} must be 1-32 of a-z, 0-9 and -")
        token = token or f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        if key_id_of(token) != key_id:
            raise ValueError("the token must name the key id")
        key = ApiKey(
            key_id=key_id,
            name=name,
            secret_sha256=token_digest(token),
            signing_secret=SecretStr(signing_secret or f"whsec_{secrets.token_urlsafe(32)}"),
            created_at=now or utcnow(),
            rate_per_minute=rate_per_minute,
        )
        data = key.model_dump(mode="json", exclude_none=True) | {
            "signing_secret": key.signing_secret.get_secret_value()
        }
        item = {k: serializer.serialize(v) for k, v in data.items()}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(key_id)")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise KeyExistsError(f"a key with id {key_id} exists already") from exc
            raise
        return key, token

    def get(self, key_id: str) -> ApiKey | None:
        item = self._db.get_item(TableName=self._table, Key={"key_id": {"S": key_id}}, ConsistentRead=True).get("Item")
        return _from_item(item) if item else None

    def all(self) -> Iterator[ApiKey]:
        for page in self._db.get_paginator("scan").paginate(TableName=self._table, ConsistentRead=True):
            for item in page.get("Items", []):
                yield _from_item(item)

    def revoke(self, key_id: str, *, now: datetime | None = None) -> ApiKey | None:
        """Revoke the key (its jobs stay); None if no key has this id. Revoking twice keeps the first time."""
        try:
            attributes = self._db.update_item(
                TableName=self._table,
                Key={"key_id": {"S": key_id}},
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
                ConditionExpression="attribute_exists(key_id)",
                ExpressionAttributeValues={":now": {"S": (now or utcnow()).isoformat()}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _from_item(attributes)


class KeyExistsError(ValueError):
    pass
