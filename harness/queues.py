"""The queues and topic a job's events pass through: the outcome as a subscriber receives it, settled queues."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from cli.processes import wait_until

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient


class SnsInbox:
    """An SQS queue subscribed to the outcome topic: what a downstream subscriber would receive."""

    def __init__(self, sqs: SQSClient, sns: SNSClient, topic_arn: str) -> None:
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=f"test-inbox-{random.randrange(10**9)}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        self.received: list[dict[str, Any]] = []

    def _drain(self) -> None:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return
            for message in messages:
                envelope = json.loads(message["Body"])
                self.received.append(
                    {
                        # Distinct per publish; an SNS redelivery of the same publish repeats it.
                        "message_id": envelope["MessageId"],
                        "body": json.loads(envelope["Message"]),
                        "attributes": {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                    }
                )
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def for_job(self, job_id: str, *, at_least: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """The job's messages, once at least `at_least` have arrived (the outcome is published after it is stored)."""

        def arrived() -> list[dict[str, Any]]:
            self._drain()
            return [m for m in self.received if m["body"]["job_id"] == job_id]

        wait_until(lambda: len(arrived()) >= at_least, timeout=timeout, what=f"{at_least} SNS message(s) for {job_id}")
        return arrived()


def queue_settled(sqs: SQSClient, queue_url: str) -> bool:
    """No message waiting or in flight."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def queue_every_event_twice(sqs: SQSClient, queue_url: str, expected: int) -> None:
    """Replace each of the `expected` queued events by two copies of it, all queued before any worker runs
    (faults.md); fresh copies, so no receive is spent before the workers see them."""
    bodies: list[str] = []

    def drained() -> bool:
        while len(bodies) < expected:
            batch = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0
            )
            messages = batch.get("Messages", [])
            if not messages:
                return False
            bodies.extend(m["Body"] for m in messages)
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return True

    wait_until(drained, timeout=30 + expected / 10, what=f"{expected} upload events")
    copies = [body for body in bodies for _ in range(2)]
    for i in range(0, len(copies), 10):
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(copies[i : i + 10])],
        )


def wait_settled(sqs: SQSClient, queue_url: str, timeout: float = 30) -> None:
    wait_until(lambda: queue_settled(sqs, queue_url), timeout=timeout, what="the jobs queue to empty")
