"""Scale-in protection against a local fake of the ECS agent endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
    failing = FakeEcsAgent(fail=True)
    try:
        protection = ScaleInProtection(failing.uri, expires_minutes=5)
        protection.update(busy=True)  # logged, not raised: a job must never fail for this
        assert "could not set scale-in protection" in caplog.text
    finally:
        failing.close()
    working = FakeEcsAgent()
    try:
        protection._url = f"{working.uri}/task-protection/v1/state"  # the agent is back
        protection.update(busy=True)
        assert working.states == [{"ProtectionEnabled": True, "ExpiresInMinutes": 5}]
    finally:
        working.close()


def test_outside_ecs_nothing_is_called() -> None:
    protection = ScaleInProtection(None, expires_minutes=5)
    assert not protection.enabled
    protection.update(busy=True)  # no agent, no error
