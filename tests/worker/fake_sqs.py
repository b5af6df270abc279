"""A small in-process SQS queue for the consumer's tests: the calls the consumer makes, and a record of them.

Simpler than the real thing on purpose: a message returned with a visibility of 0 is available again at once; any
other visibility change only records the call (no clock runs here, so a hidden message never reappears by itself).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def upload_body(key: str, *, bucket: str = "imgpipe-uploads", etag: str = "e") -> str:
    """An EventBridge "Object Created" body, as the queue receives it from S3."""
    detail = {"bucket": {"name": bucket}, "object": {"key": key, "etag": etag}}
    return json.dumps({"detail-type": "Object Created", "source": "aws.s3", "detail": detail})


@dataclass
class FakeMessage:
    body: str
    message_id: str
    receive_count: int = 0
    receipt: str | None = None  # the current receipt handle while received


class FakeSqs:
    def __init__(self) -> None:
        self.messages: list[FakeMessage] = []
        self.deleted: list[str] = []  # message ids
        self.visibility: list[tuple[str, int]] = []  # (message id, seconds), in call order
        self.asked: list[int] = []  # MaxNumberOfMessages of each receive
        # Called with the messages a receive is about to return (e.g. to stop the consumer at that moment).
        self.on_receive: Callable[[list[FakeMessage]], None] | None = None
        self._cond = threading.Condition()
        self._available: list[FakeMessage] = []
        self._held: dict[str, FakeMessage] = {}
        self._receipts = 0
        self._closed = False

    def send(self, body: str, *, previous_receives: int = 0) -> str:
        with self._cond:
            message = FakeMessage(body, f"m{len(self.messages) + 1}", previous_receives)
            self.messages.append(message)
            self._available.append(message)
            self._cond.notify_all()
            return message.message_id

    @property
    def held(self) -> int:
        """Messages received and not yet deleted or returned."""
        with self._cond:
            return len(self._held)

    def close(self) -> None:
        """End any long poll now (the consumer's stop then takes effect without waiting out WaitTimeSeconds)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- the calls the consumer makes -----------------------------------------------------------------------

    def receive_message(self, *, MaxNumberOfMessages: int, WaitTimeSeconds: int, **_: Any) -> dict[str, Any]:
        with self._cond:
            self.asked.append(MaxNumberOfMessages)
            self._cond.wait_for(lambda: self._available or self._closed, timeout=WaitTimeSeconds)
            batch, self._available = self._available[:MaxNumberOfMessages], self._available[MaxNumberOfMessages:]
            for message in batch:
                message.receive_count += 1
                self._receipts += 1
                message.receipt = f"{message.message_id}-r{self._receipts}"
                self._held[message.receipt] = message
            if self.on_receive is not None:
                self.on_receive(batch)
            return {
                "Messages": [
                    {
                        "MessageId": m.message_id,
                        "ReceiptHandle": m.receipt,
                        "Body": m.body,
                        "Attributes": {"ApproximateReceiveCount": str(m.receive_count)},
                    }
                    for m in batch
                ]
            }

    def change_message_visibility(self, *, ReceiptHandle: str, VisibilityTimeout: int, **_: Any) -> None:
        with self._cond:
            message = self._held[ReceiptHandle]
            self.visibility.append((message.message_id, VisibilityTimeout))
            if VisibilityTimeout == 0:
                del self._held[ReceiptHandle]
                self._available.append(message)
                self._cond.notify_all()

    def delete_message_batch(self, *, Entries: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        with self._cond:
            answer: dict[str, list[dict[str, Any]]] = {"Successful": [], "Failed": []}
            for entry in Entries:
                message = self._held.pop(entry["ReceiptHandle"], None)
                if message is None:
                    answer["Failed"].append({"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True})
                else:
                    self.deleted.append(message.message_id)
                    answer["Successful"].append({"Id": entry["Id"]})
            return answer

    # --- what tests read ------------------------------------------------------------------------------------

    def visibility_of(self, message_id: str) -> list[int]:
        with self._cond:
            return [seconds for mid, seconds in self.visibility if mid == message_id]
