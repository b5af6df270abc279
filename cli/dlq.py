"""`imgpipe dlq`: look at the dead-letter queue and move its messages back to the jobs queue."""

from __future__ import annotations

import json
from typing import Any

import click

from core.aws import AwsClients
from core.config import get_settings
from worker.events import MalformedEventError, parse_message


def _describe(message: dict[str, Any]) -> dict[str, Any]:
    try:
        events = parse_message(message["Body"])
        keys = [e.key for e in events]
    except MalformedEventError as exc:
        keys = [f"<unreadable: {exc}>"]
    attributes = message.get("Attributes", {})
    return {
        "message_id": message["MessageId"],
        "keys": keys,
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
        "first_received": attributes.get("ApproximateFirstReceiveTimestamp"),
    }


def peek(clients: AwsClients, dlq_url: str, limit: int) -> list[dict[str, Any]]:
    """Read up to `limit` messages without consuming them (each is made visible again at once)."""
    seen: dict[str, dict[str, Any]] = {}
    receipts: list[str] = []
    try:
        while len(seen) < limit:
            batch = clients.sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=30,  # hidden while we page, so no message is read twice
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                seen[message["MessageId"]] = _describe(dict(message))
                receipts.append(message["ReceiptHandle"])
    finally:
        for receipt in receipts:  # put everything back, visible at once
            clients.sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return list(seen.values())


def redrive(clients: AwsClients, dlq_url: str, queue_url: str, limit: int) -> int:
    """Move up to `limit` messages back: send a copy to the jobs queue, then delete it from the DLQ."""
    moved = 0
    while moved < limit:
        batch = clients.sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=min(10, limit - moved), VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            # Copy first, delete second: a crash in between duplicates a message (harmless), never loses one.
            clients.sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
            clients.sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


@click.group()
def dlq() -> None:
    """Inspect and redrive the dead-letter queue (uses the IMGPIPE_* settings of the deployment)."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_messages(limit: int, as_json: bool) -> None:
    """Show the messages waiting in the DLQ."""
    clients = AwsClients(get_settings())
    messages = peek(clients, clients.queue_url(clients.settings.dlq_name), limit)
    if as_json:
        click.echo(json.dumps(messages, indent=2))
        return
    click.echo(f"{len(messages)} message(s) in {clients.settings.dlq_name}")
    for m in messages:
        click.echo(f"  {m['message_id']}  received {m['receive_count']}x  {', '.join(m['keys'])}")


@dlq.command("redrive")
@click.option("--limit", default=1000, show_default=True)
def redrive_messages(limit: int) -> None:
    """Move DLQ messages back to the jobs queue; jobs that failed with processing_retries_exhausted run again."""
    clients = AwsClients(get_settings())
    s = clients.settings
    moved = redrive(clients, clients.queue_url(s.dlq_name), clients.queue_url(s.queue_name), limit)
    click.echo(f"moved {moved} message(s) from {s.dlq_name} to {s.queue_name}")
