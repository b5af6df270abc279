"""Worker process entry point: wire the consumer from settings and stop gracefully on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
from types import FrameType

from core.aws import AwsClients
from core.config import Settings
from core.logs import configure_logging
from core.store import JobStore
from worker.analysis import OcrUnavailableError
from worker.analysis import prepare as prepare_analysis
from worker.callbacks import CallbackDispatcher
from worker.consumer import Consumer
from worker.pipeline import JobProcessor
from worker.protection import ScaleInProtection
from worker.sweeper import Sweeper

log = logging.getLogger(__name__)


def build_worker(settings: Settings) -> tuple[Consumer, JobProcessor]:
    """The consumer and the pipeline it feeds, wired from settings."""
    clients = AwsClients.for_worker(settings)
    # A finished job's publish stays with its writer as long as a message stays hidden: that long, a duplicate
    # delivery waits for the writer's publish instead of sending its own.
    store = JobStore(clients.dynamodb, settings.jobs_table, publish_claim_seconds=settings.visibility_timeout_seconds)
    processor = JobProcessor(clients, store, clients.topic_arn())
    # Long enough to cover a job and its drain; renewed while busy, so it only matters if the worker dies.
    minutes = max(1, math.ceil((settings.visibility_timeout_seconds + settings.drain_seconds) / 60))
    protection = ScaleInProtection(os.environ.get("ECS_AGENT_URI"), expires_minutes=minutes)
    consumer = Consumer(settings, clients.sqs, clients.queue_url(settings.queue_name), processor, protection)
    return consumer, processor


def run(settings: Settings) -> int:
    configure_logging(settings.log_level, service="worker")
    stop = threading.Event()

    def _stop(signum: int, _: FrameType | None) -> None:
        log.info("received %s: finishing in-flight jobs", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        prepare_analysis(settings)
    except OcrUnavailableError as exc:
        log.error("%s", exc)
        return 2
    consumer, processor = build_worker(settings)
    sweeper = Sweeper(settings, processor.store, processor.notify, processor.clients.s3)
    threading.Thread(target=sweeper.run, args=(stop,), name="sweeper", daemon=True).start()
    clients = processor.clients
    callbacks = CallbackDispatcher(settings, clients, processor.store, clients.queue_url(settings.callbacks_queue_name))
    # Beside the jobs, not inside them: a slow or failing receiver never holds up processing.
    threading.Thread(target=callbacks.run, args=(stop,), name="webhooks", daemon=True).start()
    log.info(
        "worker started",
        extra={"fields": {"concurrency": settings.worker_concurrency, "analysis_engine": settings.analysis_engine}},
    )
    drained = consumer.run(stop)
    if not drained:
        # Job threads still running past the deadline: exit now rather than wait for them at interpreter exit.
        os._exit(3)
    processor.close()
    return 0
