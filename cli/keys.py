"""`imgpipe keys`: create, list and revoke the API's keys (an operator command like `imgpipe dlq`: it finds its
stack as cli/operator.py says, the deployment of its environment or the local stack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from cli.operator import local_option, operator_clients
from core.api_keys import ApiKey, ApiKeyStore


@contextmanager
def _store(local: bool) -> Iterator[tuple[ApiKeyStore, int]]:
    with operator_clients(local) as clients:
        settings = clients.settings
        yield ApiKeyStore(clients.dynamodb, settings.api_keys_table), settings.default_rate_per_minute


def _public(key: ApiKey) -> dict[str, Any]:
    """What `list` shows: never the hash or the signing secret."""
    return key.model_dump(mode="json", include={"key_id", "name", "created_at", "revoked_at", "rate_per_minute"})


@click.group()
def keys() -> None:
    """Manage API keys: each client gets its own key, sees only its own jobs, and can be revoked alone."""


@keys.command("create")
@click.argument("name")
@click.option("--rate", type=click.IntRange(min=1), help="Requests per minute (default: default_rate_per_minute).")
@click.option("--json", "as_json", is_flag=True, help="Print the new key as JSON.")
@local_option
def create_key(name: str, rate: int | None, as_json: bool, local: bool) -> None:
    """Create a key called NAME. Its token and webhook signing secret are shown once, now: only a hash is kept."""
    with _store(local) as (store, default_rate):
        key, token = store.create(name, rate_per_minute=rate or default_rate)
    shown = _public(key) | {"api_key": token, "signing_secret": key.signing_secret.get_secret_value()}
    if as_json:
        click.echo(json.dumps(shown, indent=2))
        return
    click.echo(f"created key {key.key_id} ({name}), {key.rate_per_minute} requests/minute")
    click.echo(f"  API key        : {token}")
    click.echo(f"  signing secret : {shown['signing_secret']}  (verifies this key's webhooks)")
    click.echo("Store both now: the API key is not shown again.")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@local_option
def list_keys(as_json: bool, local: bool) -> None:
    """Every key, oldest first, with its state (never its secret)."""
    with _store(local) as (store, _):
        found = sorted((_public(k) for k in store.all()), key=lambda k: str(k["created_at"]))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    click.echo(f"{len(found)} key(s)")
    for k in found:
        state = f"revoked {k['revoked_at']}" if k["revoked_at"] else "active"
        click.echo(
            f"  {k['key_id']:<14} {k['name']:<24} {k['rate_per_minute']:>6}/min  created {k['created_at']}  {state}"
        )


@keys.command("revoke")
@click.argument("key_id")
@local_option
def revoke_key(key_id: str, local: bool) -> None:
    """Revoke KEY_ID: the API refuses it within api_keys_cache_seconds. Its jobs stay (and expire as usual)."""
    with _store(local) as (store, _):
        key = store.revoke(key_id)
    if key is None:
        raise click.ClickException(f"no key has id {key_id!r} (see `imgpipe keys list`)")
    click.echo(f"key {key.key_id} ({key.name}) revoked at {key.revoked_at.isoformat() if key.revoked_at else '?'}")
