"""The record of webhook attempts on a job (DynamoDB on the moto server): appended in order, capped."""

from __future__ import annotations

from datetime import UTC, datetime

from cli.stack import LocalStack
from core.aws import AwsClients
from core.jobs import CallbackAttempt
from core.store import JobStore
from core.webhooks.attempts import CallbackLog
from tests.support import pending_job


def attempt(n: int) -> CallbackAttempt:
    return CallbackAttempt(
        at=datetime(2026, 12, 1, 12, 0, n, tzinfo=UTC), attempt=n, event="j:completed:1", status=500, outcome="retrying"
    )


def test_attempts_are_appended_in_order_and_read_back_on_the_job(
    stack: LocalStack, clients: AwsClients, store: JobStore
) -> None:
    job = pending_job(store)
    log = CallbackLog(clients.dynamodb, stack.settings.jobs_table, cap=10)
    assert log.record(job.job_id, attempt(1)) and log.record(job.job_id, attempt(2))
    stored = store.get(job.job_id)
    assert stored is not None and stored.callbacks == [attempt(1), attempt(2)]


def test_at_the_cap_the_oldest_attempt_makes_room(stack: LocalStack, clients: AwsClients, store: JobStore) -> None:
    job = pending_job(store)
    log = CallbackLog(clients.dynamodb, stack.settings.jobs_table, cap=3)
    for n in range(1, 6):
        assert log.record(job.job_id, attempt(n))
    stored = store.get(job.job_id)
    assert stored is not None and [a.attempt for a in stored.callbacks] == [3, 4, 5]


def test_an_attempt_for_a_job_that_is_gone_is_not_recorded(stack: LocalStack, clients: AwsClients) -> None:
    log = CallbackLog(clients.dynamodb, stack.settings.jobs_table, cap=3)
    assert log.record("00000000-0000-0000-0000-000000000000", attempt(1)) is False
    item = clients.dynamodb.get_item(
        TableName=stack.settings.jobs_table, Key={"job_id": {"S": "00000000-0000-0000-0000-000000000000"}}
    )
    assert "Item" not in item  # no job conjured up by the append
