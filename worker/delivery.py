"""The contract between the SQS consumer and the pipeline: one receipt of a message (Delivery), what to do with it
afterwards (Disposition), and the retry backoff both sides use.

The consumer owns the message (receive, visibility, delete); the pipeline owns the job (claim, lease, outcome). The
consumer asks a Processor to handle each event of a message and, while it runs, to renew the lease of the job that
delivery owns (heartbeat); it never touches the job store itself.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.jobs import Job
    from worker.events import UploadEvent


@dataclass(frozen=True)
class Disposition:
    """What to do with the message: delete it, or let it come back after `retry_after` seconds."""

    delete: bool
    retry_after: int = 0


DONE = Disposition(delete=True)

# A lease ends this long before its message can reappear, so that the redelivery after a crash always finds it
# expired (and claims at once) despite clock skew, the receive's latency and whole-second lease times.
LEASE_MARGIN_SECONDS = 2


def _nothing() -> None:
    pass


def _granted() -> bool:
    return True


@dataclass
class Delivery:
    """One receipt of a message, as the consumer sees it; the pipeline records the job it owns for heartbeats."""

    receive_count: int = 1
    owned: Job | None = None
    # Wall clock when the receive returned: the message is hidden until about this + the visibility timeout.
    received_at: float = field(default_factory=time.time)
    # Waits for one of the worker's slots for the job's image work (its CPU and its memory); False if the worker
    # began stopping first. The pipeline takes it once the job is claimed and its upload read, so that those round
    # trips overlap other jobs' image work instead of holding a slot the CPU could use (bench/README.md, 4b).
    take_slot: Callable[[], bool] = _granted
    # Gives the slot back before the message is settled: the pipeline calls it once the job's image work is done,
    # so that the next job decodes while this one stores, records and publishes its outcome (round trips, no CPU).
    # Calling it again, as the consumer does when it settles the message, does nothing.
    release_slot: Callable[[], None] = _nothing

    def lease_seconds(self, visibility_timeout: int) -> int:
        """A lease aligned with the message's visibility: it ends LEASE_MARGIN_SECONDS before the message returns."""
        return max(1, int(self.received_at + visibility_timeout - LEASE_MARGIN_SECONDS - time.time()))


def backoff_seconds(receive_count: int, base: int, cap: int) -> int:
    """Exponential backoff with full jitter, in whole seconds (SQS visibility granularity)."""
    ceiling = min(cap, base * 2 ** max(0, receive_count - 1))
    return max(1, math.ceil(random.uniform(ceiling / 2, ceiling)))


class Processor(Protocol):
    """What the consumer needs from the pipeline (worker.pipeline.JobProcessor)."""

    def handle(self, event: UploadEvent, delivery: Delivery) -> Disposition:
        """Process one upload event of `delivery`'s message; what to do with the message afterwards."""
        ...

    def heartbeat(self, delivery: Delivery, seconds: int) -> None:
        """The message was just hidden for another `seconds`: keep the lease of the job it owns (if any) alive."""
        ...
