"""Settled messages deleted in batches: one DeleteMessageBatch for up to ten messages instead of a call for each.

A delete has nothing waiting on it: the job's outcome is already recorded and published, and the message stays
hidden until its visibility timeout whatever happens. So deletes are gathered for a moment (at most `max_delay`) and
sent ten at a time: under load, down to a tenth of the calls (each ~1-2 ms of the worker's CPU and a round trip; bench/
README.md, 4b). A delete that fails, or is lost with the process, only means the message comes back after its
visibility timeout and finds its job finished (the pipeline is idempotent), as a failed single delete always did.
IAM: `sqs:DeleteMessage` is the permission for the batch version too (SQS has none of its own for batches).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

log = logging.getLogger(__name__)

BATCH = 10  # the most one DeleteMessageBatch takes
MAX_DELAY_SECONDS = 0.5  # far inside any visibility timeout (at least 10 s); nobody waits on a delete


class BatchDeleter:
    """`delete(receipt)` from any thread; between `start()` and `close()` a thread of its own sends the batches
    (`close()` sends what is left); outside them a delete is sent at once, on its own."""

    def __init__(self, sqs: SQSClient, queue_url: str, *, max_delay: float = MAX_DELAY_SECONDS) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.max_delay = max_delay
        self._pending: list[str] = []
        self._cond = threading.Condition()
        self._open = False
        self._thread = threading.Thread(target=self._run, name="deletes", daemon=True)

    def start(self) -> None:
        self._open = True
        self._thread.start()

    def delete(self, receipt: str) -> None:
        with self._cond:
            if self._open:
                self._pending.append(receipt)
                if len(self._pending) in (1, BATCH):  # the first starts the clock; a full batch goes at once
                    self._cond.notify_all()
                return
        # E.g. a job that outlived the drain: there is no batch to join any more.
        self._send([receipt])

    def close(self, timeout: float = 5) -> None:
        """Send every delete still gathered, then stop the thread. Bounded: it runs after the drain, inside the
        task's stop timeout; deletes it could not send only mean messages that come back and find their jobs done."""
        with self._cond:
            self._open = False
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or not self._open)
                if not self._pending:
                    return  # closed, and nothing left
                # The first delete waits at most max_delay for nine more to share its call.
                self._cond.wait_for(lambda: len(self._pending) >= BATCH or not self._open, timeout=self.max_delay)
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            self._send(batch)

    def _send(self, receipts: list[str]) -> None:
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
            {"Id": str(n), "ReceiptHandle": receipt} for n, receipt in enumerate(receipts)
        ]
        try:
            failed = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
        except Exception:
            log.warning(
                "could not delete %d settled messages; they reappear and find their jobs done",
                len(receipts),
                exc_info=True,
            )
            return
        for failure in failed:
            log.warning(
                "could not delete a settled message (%s: %s); it reappears and finds its job done",
                failure.get("Code"),
                failure.get("Message"),
            )
