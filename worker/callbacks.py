"""The webhook dispatcher: delivers each ended job's outcome to its `callback_url`, at least once, outside the job's
own processing.

Every outcome is published to the SNS topic at least once (by the pipeline, or by the sweeper when the writer died);
the `callbacks` queue is subscribed to it (raw delivery, filtered on `has_callback`: core/webhooks/subscription.py),
so each published outcome of a job with a callback_url becomes a message here. For a job
with a callback_url, the dispatcher POSTs the job view (the body of `GET /v1/jobs/{id}`) signed with the job's key's
signing secret, and records the attempt on the job (`callbacks`). A failed attempt is retried by hiding its message
for the next wait of `webhook_retry_schedule_seconds` (a queue, not a sleep: any worker picks it up then); after the
last wait's attempt, or a 410, the attempt is recorded `gave_up` and the message deleted. A message the dispatcher
cannot handle at all (a bug, DynamoDB down for hours) goes to the callbacks DLQ after a few more receives.

The attempt number follows the attempts recorded on the job, so a retry survives the worker that scheduled it and
a receive that failed before any attempt (DynamoDB down) spends none of the schedule. An outcome
already recorded as delivered (or given up) is not sent again: a duplicate SNS delivery is dropped here, and a
receiver deduplicates the rest on the `Imgpipe-Event-Id` header.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from core.api_keys import ApiKeyStore
from core.aws import AwsClients
from core.config import Settings
from core.job_view import job_view
from core.jobs import CallbackAttempt, Job, JobStatus, utcnow
from core.logs import log_context
from core.store import JobStore
from core.webhooks.attempts import CallbackLog
from core.webhooks.delivery import DeliveryOptions, DeliveryResult, deliver
from core.webhooks.policy import delivery_options
from worker.stages.publish import dedup_id

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)

ENDED = (JobStatus.COMPLETED, JobStatus.FAILED)


def receive_budget_seconds(settings: Settings) -> int:
    """How long a received message stays hidden: a delivery's worst case (connect, write, read) and the writes
    around it, so another worker does not take it meanwhile."""
    worst = settings.webhook_connect_timeout_seconds + 2 * settings.webhook_timeout_seconds
    return math.ceil(worst) + 30


class CallbackDispatcher:
    def __init__(
        self,
        settings: Settings,
        clients: AwsClients,
        store: JobStore,
        queue_url: str,
        *,
        options: DeliveryOptions | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.store = store
        self.queue_url = queue_url
        self.keys = ApiKeyStore(clients.dynamodb, settings.api_keys_table)
        self.attempts = CallbackLog(clients.dynamodb, settings.jobs_table, cap=settings.webhook_max_recorded_attempts)
        self.options = options or delivery_options(settings)

    @property
    def sqs(self) -> SQSClient:
        return self.clients.sqs

    def run(self, stop: threading.Event) -> None:
        """Receive and deliver until `stop` is set; up to `webhook_concurrency` deliveries at once."""
        slots = self.settings.webhook_concurrency
        with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="webhook") as pool:
            while not stop.is_set():
                try:
                    messages = self.sqs.receive_message(
                        QueueUrl=self.queue_url,
                        MaxNumberOfMessages=min(10, slots),
                        WaitTimeSeconds=self.settings.queue_wait_seconds,
                        VisibilityTimeout=receive_budget_seconds(self.settings),
                    ).get("Messages", [])
                except Exception:
                    log.warning("receiving webhooks failed; retrying", exc_info=True)
                    stop.wait(1)
                    continue
                list(pool.map(self._handle_safely, [dict(m) for m in messages]))

    def _handle_safely(self, message: dict[str, Any]) -> None:
        try:
            self.handle(message)
        except Exception:
            # Left alone, the message comes back when its visibility ends (and counts as an attempt).
            log.exception("webhook dispatch failed; its message will come back")

    def handle(self, message: dict[str, Any]) -> None:
        receipt = message["ReceiptHandle"]
        try:
            job_id = str(json.loads(message["Body"])["job_id"])
        except (ValueError, KeyError, TypeError):
            log.error("dropping a callbacks message that is not a job outcome: %.200s", message.get("Body"))
            self._delete(receipt)
            return
        with log_context(job_id=job_id):
            retry_after = self._dispatch(job_id)
            if retry_after is None:
                self._delete(receipt)
            else:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=retry_after
                )

    def _dispatch(self, job_id: str) -> int | None:
        """Deliver the job's webhook if it has one still to deliver; seconds until the next attempt, or None when
        there is nothing more to do. The attempt number follows the attempts recorded on the job, not the message's
        receive count: a receive the dispatcher could not handle (DynamoDB down) spends no attempt of the schedule."""
        job = self.store.get(job_id)
        if job is None or job.callback_url is None:
            return None
        if job.status not in ENDED:
            return None  # processing again (a DLQ redrive): its new outcome will be published and delivered
        event = dedup_id(job)
        if any(a.event == event and a.outcome != "retrying" for a in job.callbacks):
            log.info("webhook of this outcome already %s; duplicate dropped", job.callbacks[-1].outcome)
            return None
        attempt = 1 + max((a.attempt for a in job.callbacks if a.event == event), default=0)
        key = self.keys.get(job.owner) if job.owner else None
        if key is None or key.revoked:
            result = DeliveryResult(None, "not sent: the job's API key is revoked or gone (no secret to sign with)")
            self._record(job, event, attempt, result, "gave_up", None)
            return None
        body = job_view(job, self.clients).model_dump_json().encode()
        result = deliver(
            job.callback_url, body, secret=key.signing_secret.get_secret_value(), event_id=event, options=self.options
        )
        schedule = self.settings.webhook_retry_schedule_seconds
        if result.delivered:
            outcome: Literal["delivered", "retrying", "gave_up"] = "delivered"
        elif result.final or attempt > len(schedule):
            outcome = "gave_up"
        else:
            outcome = "retrying"
        wait = schedule[attempt - 1] if outcome == "retrying" else None
        self._record(job, event, attempt, result, outcome, wait)
        log.info(
            "webhook %s",
            outcome,
            extra={"fields": {"attempt": attempt, "status": result.status, "error": result.error, "retry_in": wait}},
        )
        return wait

    def _record(
        self,
        job: Job,
        event: str,
        attempt: int,
        result: DeliveryResult,
        outcome: Literal["delivered", "retrying", "gave_up"],
        wait: int | None,
    ) -> None:
        now = utcnow()
        self.attempts.record(
            job.job_id,
            CallbackAttempt(
                at=now,
                attempt=attempt,
                event=event,
                status=result.status,
                error=result.error,
                outcome=outcome,
                next_attempt_at=now + timedelta(seconds=wait) if wait is not None else None,
            ),
        )

    def _delete(self, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
