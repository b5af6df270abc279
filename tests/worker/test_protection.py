"""Scale-in protection against a local fake of the ECS agent endpoint (over HTTP) or a mock transport."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from core.metrics import NAMESPACE
from tests.support import FakeEcsAgent
from worker.protection import ScaleInProtection


@pytest.fixture
def agent() -> Iterator[FakeEcsAgent]:
    fake = FakeEcsAgent()
    yield fake
    fake.close()


def test_protects_while_busy_and_releases_when_idle(agent: FakeEcsAgent) -> None:
    protection = ScaleInProtection(agent.uri, expires_minutes=5)
    protection.update(busy=True)
    protection.update(busy=True)  # already protected and not due for renewal: no second call
    protection.update(busy=False)
    protection.update(busy=False)
    assert agent.states == [{"ProtectionEnabled": True, "ExpiresInMinutes": 5}, {"ProtectionEnabled": False}]


def test_agent_errors_are_survived_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    up = False
    states: list[dict[str, object]] = []

    def agent(request: httpx.Request) -> httpx.Response:
        if not up:
            return httpx.Response(503, json={"error": {"Code": "ServerException", "Message": "agent restarting"}})
        states.append(json.loads(request.content))
        return httpx.Response(200, json={"protection": {"ProtectionEnabled": True}})

    client = httpx.Client(transport=httpx.MockTransport(agent))
    protection = ScaleInProtection("http://agent/api/task", expires_minutes=5, client=client)
    protection.update(busy=True)  # logged, not raised: a job must never fail for this
    assert "could not set scale-in protection" in caplog.text
    up = True  # the agent is back
    protection.update(busy=True)
    assert states == [{"ProtectionEnabled": True, "ExpiresInMinutes": 5}]


def test_a_refused_call_is_an_error_and_a_counted_metric(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The agent refuses when the task role lacks ecs:UpdateTaskProtection: that must page someone, so the worker
    logs it at ERROR and writes one EMF `TaskProtectionFailures` count per refused call (stdout -> CloudWatch)."""
    failing = FakeEcsAgent(fail=True)
    try:
        protection = ScaleInProtection(failing.uri, expires_minutes=5)
        with caplog.at_level(logging.INFO, logger="worker.protection"):
            protection.update(busy=True)
            protection.update(busy=True)  # still unprotected: tried (and counted) again
    finally:
        failing.close()

    refusals = [r for r in caplog.records if "could not set scale-in protection" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.ERROR, logging.ERROR]
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(documents) == 2
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive == {
            "Namespace": NAMESPACE,
            "Dimensions": [[]],
            "Metrics": [{"Name": "TaskProtectionFailures", "Unit": "Count"}],
        }
        assert document["TaskProtectionFailures"] == 1


def test_a_granted_call_counts_no_failure(agent: FakeEcsAgent, capsys: pytest.CaptureFixture[str]) -> None:
    ScaleInProtection(agent.uri, expires_minutes=5).update(busy=True)
    assert agent.states == [{"ProtectionEnabled": True, "ExpiresInMinutes": 5}]
    assert "TaskProtectionFailures" not in capsys.readouterr().out


def test_outside_ecs_nothing_is_called() -> None:
    protection = ScaleInProtection(None, expires_minutes=5)
    assert not protection.enabled
    protection.update(busy=True)  # no agent, no error
