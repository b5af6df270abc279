"""The short-visibility stack: a 10 s visibility timeout and a budget of 3 receives, so redeliveries happen within a
test, and no worker of its own: each test starts real worker processes (start_worker), faults injected into one
process at a time. Module-scoped: each module that uses it gets one stack; a module may override `rstack_settings`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cli.processes import Service
from cli.stack import LocalStack, start_local_stack
from core.aws import AwsClients
from core.config import Settings
from harness.jobs import api_client
from harness.queues import SnsInbox
from tests.support import StartWorker, fault_env, short_visibility_settings


@pytest.fixture(scope="module")
def rstack_settings() -> Settings:
    return short_visibility_settings(worker_concurrency=2, drain_seconds=60)


@pytest.fixture(scope="module")
def rstack(rstack_settings: Settings) -> Iterator[LocalStack]:
    with start_local_stack(rstack_settings, workers=0) as stack:
        yield stack


@pytest.fixture(scope="module")
def rclients(rstack: LocalStack) -> AwsClients:
    return AwsClients(rstack.settings)


@pytest.fixture(scope="module")
def inbox(rstack: LocalStack, rclients: AwsClients) -> SnsInbox:
    return SnsInbox(rclients.sqs, rclients.sns, rstack.provisioned.topic_arn)


@pytest.fixture
def rapi(rstack: LocalStack) -> Iterator[httpx.Client]:
    with api_client(rstack) as client:
        yield client


@pytest.fixture
def start_worker(rstack: LocalStack) -> Iterator[StartWorker]:
    """Starts worker processes on rstack; whatever is still running at the end of the test is stopped."""
    started: list[Service] = []

    def start(*faults: dict[str, Any], extra_env: dict[str, str] | None = None, **overrides: object) -> Service:
        worker = rstack.add_worker(extra_env={**fault_env(*faults), **(extra_env or {})}, **overrides)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    rstack.workers.clear()
