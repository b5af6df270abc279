"""`imgpipe dlq`: look at the dead-letter queue and move its messages back to the jobs queue.

SQS has no peek (PeekMessage went with its 2008 API): reading a message is a receive, and each receive adds one to
its ApproximateReceiveCount. So `list` does not show that count (it would grow with every listing); it shows what a
listing leaves as it was: when each message was sent and first received. It puts every message back at once; a DLQ
has no redrive policy of its own, so the extra receive changes nothing else, and a redriven message is sent anew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click

from cli.operator import local_option, operator_clients
from core.aws import AwsClients
from worker.events import MalformedEventError, parse_message


@dataclass
class DeadMessage:
    message_id: str
    receipt: str
    body: str
    keys: list[str]
    unreadable: str | None  # why the body is not an upload event the worker can read, if it is not
    sent_at: str | None
    first_received_at: str | None

    def shown(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "keys": self.keys,
            "unreadable": self.unreadable,
            "sent_at": self.sent_at,
            "first_received_at": self.first_received_at,
        }


def _time(milliseconds: str | None) -> str | None:
    if not milliseconds:
        return None
    return datetime.fromtimestamp(int(milliseconds) / 1000, UTC).isoformat(timespec="seconds")


def _read(message: dict[str, Any]) -> DeadMessage:
    keys: list[str] = []
    unreadable = None
    try:
        keys = [e.key for e in parse_message(message["Body"])]
    except MalformedEventError as exc:
        unreadable = str(exc)
    attributes = message.get("Attributes", {})
    return DeadMessage(
        message_id=message["MessageId"],
        receipt=message["ReceiptHandle"],
        body=message["Body"],
        keys=keys,
        unreadable=unreadable,
        sent_at=_time(attributes.get("SentTimestamp")),
        first_received_at=_time(attributes.get("ApproximateFirstReceiveTimestamp")),
    )


def _receive_all(clients: AwsClients, dlq_url: str, limit: int) -> list[DeadMessage]:
    """Up to `limit` messages, each received once: they stay hidden for 60 s while the command pages on."""
    seen: dict[str, DeadMessage] = {}
    while len(seen) < limit:
        batch = clients.sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, limit - len(seen)),
            VisibilityTimeout=60,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], _read(dict(message)))
    return list(seen.values())


def _release(clients: AwsClients, dlq_url: str, messages: list[DeadMessage]) -> None:
    for message in messages:  # visible again at once
        clients.sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=message.receipt, VisibilityTimeout=0)


def peek(clients: AwsClients, dlq_url: str, limit: int) -> list[DeadMessage]:
    """Up to `limit` messages, left in the DLQ and visible again when this returns."""
    messages: list[DeadMessage] = []
    try:
        messages = _receive_all(clients, dlq_url, limit)
    finally:
        _release(clients, dlq_url, messages)
    return messages


def redrive(clients: AwsClients, dlq_url: str, queue_url: str, limit: int) -> tuple[int, list[DeadMessage]]:
    """Move up to `limit` readable messages back: send a copy to the jobs queue, then delete it from the DLQ.
    Unreadable ones stay in the DLQ (a worker could only drop them); returns (moved, left)."""
    moved, left = 0, []
    messages = _receive_all(clients, dlq_url, limit)
    try:
        for message in messages:
            if message.unreadable is not None:
                left.append(message)
                continue
            # Copy first, delete second: a crash in between duplicates a message (harmless), never loses one.
            clients.sqs.send_message(QueueUrl=queue_url, MessageBody=message.body)
            clients.sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message.receipt)
            moved += 1
    finally:
        _release(clients, dlq_url, [m for m in messages if m.unreadable is not None])
    return moved, left


def _line(message: DeadMessage) -> str:
    what = f"unreadable: {message.unreadable}" if message.unreadable else ", ".join(message.keys)
    return f"  {message.message_id}  sent {message.sent_at}  {what}"


@click.group()
def dlq() -> None:
    """Inspect and redrive the dead-letter queue (an operator command: see --local)."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True, help="Show at most this many messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@local_option
def list_messages(limit: int, as_json: bool, local: bool) -> None:
    """Show the messages waiting in the DLQ and when each was sent. They stay where they are."""
    with operator_clients(local) as clients:
        name = clients.settings.dlq_name
        messages = peek(clients, clients.queue_url(name), limit)
    if as_json:
        click.echo(json.dumps([m.shown() for m in messages], indent=2))
        return
    click.echo(f"{len(messages)} message(s) in {name}")
    for message in messages:
        click.echo(_line(message))


@dlq.command("redrive")
@click.option("--limit", default=1000, show_default=True, help="Move at most this many messages.")
@click.option("--dry-run", is_flag=True, help="Show what would be moved and what left; move nothing.")
@local_option
def redrive_messages(limit: int, dry_run: bool, local: bool) -> None:
    """Move DLQ messages back to the jobs queue; jobs that failed with processing_retries_exhausted run again.

    Messages that are not upload events the worker can read stay in the DLQ and are listed.
    """
    with operator_clients(local) as clients:
        s = clients.settings
        dlq_url = clients.queue_url(s.dlq_name)
        if dry_run:
            messages = peek(clients, dlq_url, limit)
            left = [m for m in messages if m.unreadable is not None]
            moved = len(messages) - len(left)
        else:
            moved, left = redrive(clients, dlq_url, clients.queue_url(s.queue_name), limit)
    verb = "would move" if dry_run else "moved"
    click.echo(f"{verb} {moved} message(s) from {s.dlq_name} to {s.queue_name}")
    if left:
        click.echo(f"{'would leave' if dry_run else 'left'} {len(left)} unreadable message(s) in {s.dlq_name}:")
        for message in left:
            click.echo(_line(message))
