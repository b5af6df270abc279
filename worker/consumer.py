"""The SQS loop: receive only as many messages as there is room for, process, delete; stop gracefully.

Three limits. `worker_concurrency` slots bound the jobs in their image work (decoding and rendering: the CPU and the
memory). A job takes its slot only once it is claimed and its upload read (Delivery.take_slot), and gives it back as
soon as that work is done (Delivery.release_slot): the claim and the read before it, and storing its outputs, recording,
publishing its outcome and deleting its message after it, are round trips, during which other jobs use the CPU; a
duplicate delivery takes no slot at all. The worker holds at most twice as many messages as it has slots before or in
their image work, so that a message is already in hand when a slot frees: the next job does not wait for a receive
(bench/README.md, 4b). Messages past their image work, still storing their outcome, do not take that room (when they
did, a receive came for one or two messages at a time, and a slot could wait for one); but all together the worker holds
at most three times as many messages as slots, so that stores that stall stop the receiving. While more than one message
waits in hand, the worker receives only once there is room for a batch (`worker_concurrency` messages, at most ten): a
receive per few jobs instead of one per job. Deletes are batched too (worker/deletes.py).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import Settings
from worker.deletes import BatchDeleter
from worker.delivery import DONE, Delivery, Disposition, Processor, backoff_seconds
from worker.events import MalformedEventError, parse_message
from worker.protection import ScaleInProtection

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)


@dataclass
class _SlotUse:
    """One message's use of a slot, read and changed on its job's thread only."""

    waiting: bool = True  # counted in Consumer._waiting: in hand, its image work not begun
    held: bool = False  # a slot is taken
    past: bool = False  # moved out of the room of the jobs before their image work, into Consumer._past


class Consumer:
    def __init__(
        self,
        settings: Settings,
        sqs: SQSClient,
        queue_url: str,
        processor: Processor,
        protection: ScaleInProtection | None = None,
    ) -> None:
        self.settings = settings
        self.protection = protection or ScaleInProtection(None, expires_minutes=1)
        self.sqs = sqs
        self.queue_url = queue_url
        self.processor = processor
        self._slots = threading.BoundedSemaphore(settings.worker_concurrency)  # jobs in their image work
        # Messages held before or in their image work (received, or room taken for a receive), at most `_capacity`;
        # of them, those still waiting for a slot. Messages past it, not yet settled: `_past`. All together, at most
        # `_capacity + _most_past`.
        self._capacity = 2 * settings.worker_concurrency
        self._most_past = settings.worker_concurrency
        self._batch = min(10, settings.worker_concurrency)
        self._held = 0
        self._waiting = 0
        self._past = 0
        self._holding = threading.Condition()
        self._deletes = BatchDeleter(sqs, queue_url)
        self._heartbeat_file = Path(settings.heartbeat_file) if settings.heartbeat_file else None
        self._in_flight: dict[str, Delivery] = {}  # receipt handle -> delivery
        self._lock = threading.Lock()

    # --- the loop ------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> bool:
        """Poll until `stop` is set, then finish in-flight work (up to `drain_seconds`).

        Returns False when jobs were still running at the deadline (their messages will be redelivered).
        """
        futures: set[Future[None]] = set()
        # A thread per message held, before or past its image work.
        pool = ThreadPoolExecutor(max_workers=self._capacity + self._most_past, thread_name_prefix="job")
        keepalive_stop = threading.Event()
        keepalive = threading.Thread(target=self._keep_alive, args=(keepalive_stop,), name="keepalive", daemon=True)
        keepalive.start()
        self._deletes.start()
        try:
            while not stop.is_set():
                self._beat()
                free = self._acquire_room(stop)
                if not free:
                    continue
                try:
                    messages = self._receive(free)
                except Exception:
                    log.exception("receive failed; retrying")
                    self._release(free)
                    stop.wait(1)
                    continue
                received_at = time.time()  # the messages' visibility runs from (just before) now
                self._release(free - len(messages))
                if stop.is_set():
                    self._return_unstarted(messages)
                    break
                for message in messages:
                    self._track(message, received_at)
                    future = pool.submit(self._handle, message, stop)
                    futures.add(future)
                    future.add_done_callback(futures.discard)
            return self._drain(futures)
        finally:
            keepalive_stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            self._deletes.close()
            self.protection.update(busy=False)
            log.info("worker stopped")

    def _beat(self) -> None:
        """Liveness for container health checks: the loop is turning."""
        if self._heartbeat_file is not None:
            self._heartbeat_file.parent.mkdir(parents=True, exist_ok=True)
            self._heartbeat_file.touch()

    def _acquire_room(self, stop: threading.Event) -> int:
        """Block (waking regularly to check `stop`) until a receive is worth making, then take all the room there is
        (at most the 10 messages one receive returns)."""
        while True:
            with self._holding:
                ready = self._holding.wait_for(self._worth_receiving, timeout=0.5)
                if stop.is_set():  # e.g. room freed by a message just returned while stopping: not received again
                    return 0
                if ready:
                    taken = min(10, self._room())
                    self._held += taken
                    return taken
            self._beat()

    def _room(self) -> int:
        return min(self._capacity - self._held, self._capacity + self._most_past - self._held - self._past)

    def _worth_receiving(self) -> bool:
        room = self._room()
        # While more than one message waits in hand, the next slot to free has its job: wait for room for a batch.
        return room >= self._batch or (room > 0 and self._waiting <= 1)

    def _release(self, count: int) -> None:
        with self._holding:
            self._held -= count
            self._holding.notify_all()

    def _past_image_work(self) -> None:
        """A job gave its slot back: its message leaves the room of the next jobs and counts as past its image work."""
        with self._holding:
            self._held -= 1
            self._past += 1
            self._holding.notify_all()

    def _settled_past(self) -> None:
        with self._holding:
            self._past -= 1
            self._holding.notify_all()

    def _started(self, use: _SlotUse) -> None:
        """A message in hand took its slot, or will take none (the worker is stopping, or it settled without image
        work, e.g. a duplicate delivery): it no longer waits for one."""
        if use.waiting:
            use.waiting = False
            with self._holding:
                self._waiting -= 1
                self._holding.notify_all()

    def _take_slot(self, use: _SlotUse, stop: threading.Event) -> bool:
        """Delivery.take_slot: wait for a slot for the job's image work; False if the worker began stopping first."""
        if not use.held:
            while not self._slots.acquire(timeout=0.5):
                if stop.is_set():
                    self._started(use)
                    return False
            use.held = True
        self._started(use)
        return True

    def _release_slot(self, use: _SlotUse) -> None:
        """Delivery.release_slot: the image work is over. Once, however often it is called (by the pipeline, then
        when the message settles); the message moves out of the room of the next jobs the first time."""
        if use.held:
            use.held = False
            self._slots.release()
            if not use.past:
                use.past = True
                self._past_image_work()

    def _settle_slot(self, use: _SlotUse) -> None:
        self._started(use)
        self._release_slot(use)
        if use.past:
            self._settled_past()
        else:
            self._release(1)

    def _receive(self, count: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=self.settings.queue_wait_seconds,
            # Explicit, so the worker's setting (also the job lease) is what holds, whatever the queue's default.
            VisibilityTimeout=self.settings.visibility_timeout_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [dict(m) for m in response.get("Messages", [])]

    def _set_visibility(self, message: dict[str, Any], seconds: int) -> None:
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=seconds
        )

    def _return_unstarted(self, messages: list[dict[str, Any]]) -> None:
        """Received during shutdown: make them visible again at once instead of after the visibility timeout."""
        for message in messages:
            try:
                self._set_visibility(message, 0)
            except Exception:
                log.warning("could not return a message; it reappears after its visibility timeout", exc_info=True)
            self._release(1)

    # --- one message ---------------------------------------------------------------------------------------

    def _track(self, message: dict[str, Any], received_at: float) -> None:
        count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        with self._lock:
            self._in_flight[message["ReceiptHandle"]] = Delivery(receive_count=count, received_at=received_at)
        with self._holding:
            self._waiting += 1
        self.protection.update(busy=True)

    def _handle(self, message: dict[str, Any], stop: threading.Event) -> None:
        with self._lock:
            delivery = self._in_flight[message["ReceiptHandle"]]
        # All on this thread: the pipeline takes and gives back the slot from within _dispose.
        use = _SlotUse()
        delivery.take_slot = lambda: self._take_slot(use, stop)
        delivery.release_slot = lambda: self._release_slot(use)
        try:
            # Stopping before this job's image work began, the pipeline gives the message back at once (take_slot).
            disposition = self._dispose(message, delivery)
            if disposition.delete:
                self._deletes.delete(message["ReceiptHandle"])
            else:
                # Backoff by visibility, not by sleeping: the message simply reappears later.
                self._set_visibility(message, disposition.retry_after)
        except Exception:
            log.exception("could not settle the message; it reappears after its visibility timeout")
        finally:
            with self._lock:
                self._in_flight.pop(message["ReceiptHandle"], None)
            self._settle_slot(use)  # past its image work now, if the pipeline did not say so before

    def _dispose(self, message: dict[str, Any], delivery: Delivery) -> Disposition:
        try:
            events = parse_message(message["Body"])
        except MalformedEventError as exc:
            log.error("dropping unreadable message %s: %s", message.get("MessageId"), exc)
            return DONE
        try:
            outcome = DONE
            for event in events:
                result = self.processor.handle(event, delivery)
                if not result.delete:
                    outcome = result
            return outcome
        except Exception:
            # Anything unexpected is treated as transient: the message returns and, at worst, reaches the DLQ.
            log.exception("processing failed; the message will be redelivered")
            s = self.settings
            return Disposition(
                delete=False,
                retry_after=backoff_seconds(delivery.receive_count, s.retry_base_seconds, s.visibility_timeout_seconds),
            )

    # --- long jobs -----------------------------------------------------------------------------------------

    def _keep_alive(self, stop: threading.Event) -> None:
        """Every third of the visibility timeout, extend every in-flight message, then (the processor's heartbeat)
        the lease of its job."""
        timeout = self.settings.visibility_timeout_seconds
        while not stop.wait(max(1.0, timeout / 3)):
            with self._lock:
                in_flight = list(self._in_flight.items())
            # Unprotecting on this tick rather than after each job avoids flapping between back-to-back jobs.
            self.protection.update(busy=bool(in_flight))
            for receipt, delivery in in_flight:
                try:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=timeout
                    )
                    self.processor.heartbeat(delivery, timeout)
                except Exception:
                    log.warning("could not extend a message's visibility", exc_info=True)

    def _drain(self, futures: set[Future[None]]) -> bool:
        if not futures:
            return True
        log.info("draining %d in-flight jobs (up to %ss)", len(futures), self.settings.drain_seconds)
        started = time.monotonic()
        _, pending = wait(list(futures), timeout=self.settings.drain_seconds)
        if pending:
            log.error(
                "%d jobs did not finish within the drain deadline; their messages will be redelivered", len(pending)
            )
        log.info("drained in %.1fs", time.monotonic() - started)
        return not pending
