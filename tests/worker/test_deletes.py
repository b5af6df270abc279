"""Settled messages deleted in batches (worker/deletes.py), against a queue that records each call. The consumer's
use of it, through the fake queue: tests/worker/test_consumer.py; through moto: the e2e tests."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import pytest

from cli.processes import wait_until
from worker.deletes import BatchDeleter

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class RecordingSqs:
    def __init__(self, *, fail_first: int = 0, refuse: frozenset[str] = frozenset()) -> None:
        self.calls: list[list[str]] = []  # the receipt handles of each DeleteMessageBatch
        self.fail_first = fail_first
        self.refuse = refuse  # receipts the queue answers as Failed entries

    def delete_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert QueueUrl == "queue-url" and len(Entries) <= 10 and len({e["Id"] for e in Entries}) == len(Entries)
        self.calls.append([e["ReceiptHandle"] for e in Entries])
        if len(self.calls) <= self.fail_first:
            raise ConnectionError("SQS unreachable")
        failed = [e for e in Entries if e["ReceiptHandle"] in self.refuse]
        return {
            "Successful": [{"Id": e["Id"]} for e in Entries if e not in failed],
            "Failed": [{"Id": e["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True} for e in failed],
        }


def deleter(sqs: RecordingSqs, max_delay: float) -> BatchDeleter:
    return BatchDeleter(cast("SQSClient", sqs), "queue-url", max_delay=max_delay)


def test_deletes_go_ten_to_a_call_and_close_sends_the_rest() -> None:
    sqs = RecordingSqs()
    deletes = deleter(sqs, max_delay=60)  # no batch leaves for its delay within this test: only full, or on close
    deletes.start()
    for n in range(25):
        deletes.delete(f"r{n}")
    wait_until(lambda: len(sqs.calls) == 2, timeout=30, what="two full batches sent")
    deletes.close()
    assert sqs.calls == [
        [f"r{n}" for n in range(0, 10)],
        [f"r{n}" for n in range(10, 20)],
        [f"r{n}" for n in range(20, 25)],
    ]


def test_a_lone_delete_is_sent_after_the_delay_without_waiting_for_a_full_batch() -> None:
    sqs = RecordingSqs()
    deletes = deleter(sqs, max_delay=0.05)
    deletes.start()
    try:
        deletes.delete("r1")
        wait_until(lambda: sqs.calls == [["r1"]], timeout=30, what="the delete sent")
    finally:
        deletes.close()


def test_outside_start_and_close_a_delete_is_sent_at_once() -> None:
    """E.g. a job that outlived the worker's drain deadline settles after the batches stopped."""
    sqs = RecordingSqs()
    deletes = deleter(sqs, max_delay=60)
    deletes.start()
    deletes.close()
    deletes.delete("late")
    assert sqs.calls == [["late"]]


def test_a_failed_batch_is_logged_and_the_next_one_still_goes(caplog: pytest.LogCaptureFixture) -> None:
    """The messages of a failed call (or refused entries) reappear after their visibility timeout and find their
    jobs finished: nothing is retried here, and nothing stops."""
    sqs = RecordingSqs(fail_first=1, refuse=frozenset({"r12"}))
    deletes = deleter(sqs, max_delay=60)
    deletes.start()
    with caplog.at_level(logging.WARNING, logger="worker.deletes"):
        for n in range(15):
            deletes.delete(f"r{n}")
        deletes.close()
    assert [len(call) for call in sqs.calls] == [10, 5]
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not delete 10 settled messages" in m for m in messages)
    assert any("ReceiptHandleIsInvalid" in m for m in messages)
