"""The SQS loop: receive only as many messages as there are free slots, process, delete; stop gracefully."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import Settings
from worker.events import MalformedEventError, parse_message
from worker.pipeline import Disposition, JobProcessor

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)


class Consumer:
    def __init__(self, settings: Settings, sqs: SQSClient, queue_url: str, processor: JobProcessor) -> None:
        self.settings = settings
        self.sqs = sqs
        self.queue_url = queue_url
        self.processor = processor
        self._slots = threading.BoundedSemaphore(settings.worker_concurrency)
        self._heartbeat = Path(settings.heartbeat_file) if settings.heartbeat_file else None

    def run(self, stop: threading.Event) -> bool:
        """Poll until `stop` is set, then finish in-flight work (up to `drain_seconds`).

        Returns False when jobs were still running at the deadline (their messages will be redelivered).
        """
        concurrency = self.settings.worker_concurrency
        futures: set[Future[None]] = set()
        pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="job")
        try:
            while not stop.is_set():
                self._beat()
                free = self._acquire_free_slots(stop)
                if not free:
                    continue
                try:
                    messages = self._receive(free)
                except Exception:
                    log.exception("receive failed; retrying")
                    self._release(free)
                    stop.wait(1)
                    continue
                self._release(free - len(messages))
                if stop.is_set():
                    self._return_unstarted(messages)
                    break
                for message in messages:
                    future = pool.submit(self._handle, message)
                    futures.add(future)
                    future.add_done_callback(futures.discard)
            return self._drain(futures)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            log.info("worker stopped")

    def _beat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.parent.mkdir(parents=True, exist_ok=True)
            self._heartbeat.touch()

    def _acquire_free_slots(self, stop: threading.Event) -> int:
        """Block (waking regularly to check `stop`) until one slot is free, then take every other free slot."""
        while not self._slots.acquire(timeout=0.5):
            if stop.is_set():
                return 0
            self._beat()
        taken = 1
        while taken < min(10, self.settings.worker_concurrency) and self._slots.acquire(blocking=False):
            taken += 1
        return taken

    def _release(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()

    def _receive(self, count: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=self.settings.queue_wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [dict(m) for m in response.get("Messages", [])]

    def _return_unstarted(self, messages: list[dict[str, Any]]) -> None:
        """Received during shutdown: make them visible again at once instead of after the visibility timeout."""
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            self._slots.release()

    def _handle(self, message: dict[str, Any]) -> None:
        try:
            disposition = self._dispose(message)
        finally:
            self._slots.release()
        if disposition is Disposition.DONE:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _dispose(self, message: dict[str, Any]) -> Disposition:
        try:
            events = parse_message(message["Body"])
        except MalformedEventError as exc:
            log.error("dropping unreadable message %s: %s", message.get("MessageId"), exc)
            return Disposition.DONE
        try:
            outcome = Disposition.DONE
            for event in events:
                if self.processor.handle(event) is Disposition.RETRY:
                    outcome = Disposition.RETRY
            return outcome
        except Exception:
            # Anything unexpected is treated as transient: the message returns and, at worst, reaches the DLQ.
            log.exception("processing failed; the message will be redelivered")
            return Disposition.RETRY

    def _drain(self, futures: set[Future[None]]) -> bool:
        if not futures:
            return True
        log.info("draining %d in-flight jobs (up to %ss)", len(futures), self.settings.drain_seconds)
        started = time.monotonic()
        _, pending = wait(list(futures), timeout=self.settings.drain_seconds)
        if pending:
            log.error(
                "%d jobs did not finish within the drain deadline; their messages will be redelivered",
                len(pending),
            )
        log.info("drained in %.1fs", time.monotonic() - started)
        return not pending
