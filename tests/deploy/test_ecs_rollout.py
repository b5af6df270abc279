"""deploy/ecs_rollout.py: the deploy succeeds only when the PRIMARY deployment runs the new task definition and
its rollout COMPLETED; a circuit-breaker rollback (which `aws ecs wait services-stable` calls stable) fails it.

The describe-services entries follow the ECS API's Deployment shape (status PRIMARY/ACTIVE/INACTIVE, rolloutState
IN_PROGRESS/COMPLETED/FAILED, rolloutStateReason), in the sequences ECS goes through.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.ecs_rollout import assess, main, same_task_definition, wait_for_rollout
from tests.deploy.deploy_support import ROOT
from tests.support import run_module

PREFIX = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"
OLD, NEW = "imgpipe-api:6", "imgpipe-api:7"


def _deployment(status: str, task_definition: str, rollout: str, reason: str = "", **counts: int) -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{abs(hash((status, task_definition, rollout))) % 10**19}",
        "status": status,
        "taskDefinition": PREFIX + task_definition,
        "desiredCount": counts.get("desired", 2),
        "pendingCount": counts.get("pending", 0),
        "runningCount": counts.get("running", 2),
        "failedTasks": counts.get("failed", 0),
        "launchType": "FARGATE",
        "rolloutState": rollout,
        "rolloutStateReason": reason or f"ECS deployment {rollout.lower()}.",
    }


def _service(*deployments: dict[str, Any], name: str = "imgpipe-api") -> dict[str, Any]:
    return {"serviceName": name, "status": "ACTIVE", "deployments": list(deployments)}


IN_PROGRESS = _service(
    _deployment("PRIMARY", NEW, "IN_PROGRESS", running=1, pending=1),
    _deployment("ACTIVE", OLD, "COMPLETED"),
)
COMPLETED = _service(_deployment("PRIMARY", NEW, "COMPLETED"))
# The circuit breaker gave up on NEW and rolled back: a new PRIMARY deployment of OLD (which then completes: the
# service is "stable" again), the failed one ACTIVE while its tasks stop.
CIRCUIT_BREAKER = "ECS deployment circuit breaker: tasks failed to start."
ROLLING_BACK = _service(
    _deployment("PRIMARY", OLD, "IN_PROGRESS", running=1),
    _deployment("ACTIVE", NEW, "FAILED", CIRCUIT_BREAKER, running=0, failed=3),
)
ROLLED_BACK = _service(_deployment("PRIMARY", OLD, "COMPLETED"))


class _Script:
    """describe-services answers in order (the last one repeats), and a clock that advances on each sleep."""

    def __init__(self, *services: dict[str, Any]) -> None:
        self.answers = list(services)
        self.calls = 0
        self.now = 0.0

    def describe(self, cluster: str, services: list[str]) -> dict[str, Any]:
        assert cluster == "imgpipe" and services == ["imgpipe-api"]
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return {"services": [answer], "failures": []}

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def wait(self, expected: str = NEW, timeout: float = 3600) -> list[str]:
        return wait_for_rollout(
            self.describe,
            "imgpipe",
            {"imgpipe-api": expected},
            timeout,
            clock=lambda: self.now,
            sleep=self.sleep,
            log=lambda _: None,
        )


def test_task_definitions_match_as_arn_or_family_revision() -> None:
    assert same_task_definition(PREFIX + NEW, NEW)
    assert same_task_definition(PREFIX + NEW, PREFIX + NEW)
    assert not same_task_definition(PREFIX + OLD, NEW)
    assert not same_task_definition(PREFIX + "imgpipe-api:70", NEW)


def test_waits_through_in_progress_until_completed() -> None:
    script = _Script(IN_PROGRESS, IN_PROGRESS, COMPLETED)
    assert script.wait() == []
    assert script.calls == 3


def test_a_circuit_breaker_rollback_fails_even_once_the_service_is_stable() -> None:
    # Caught while rolling back: the failed deployment says why.
    problems = _Script(IN_PROGRESS, ROLLING_BACK).wait()
    assert len(problems) == 1
    assert f"deployment of {NEW} FAILED ({CIRCUIT_BREAKER})" in problems[0]
    assert f"rolled back to {PREFIX + OLD}" in problems[0]
    # Seen only after the rollback completed (what services-stable reports as success).
    (late,) = _Script(ROLLED_BACK).wait()
    assert f"runs {PREFIX + OLD}, not {NEW}: rolled back" in late


def test_a_failed_deployment_without_rollback_fails() -> None:
    failed = _service(_deployment("PRIMARY", NEW, "FAILED", CIRCUIT_BREAKER, running=0, failed=3))
    (problem,) = _Script(IN_PROGRESS, failed).wait()
    assert "FAILED" in problem and CIRCUIT_BREAKER in problem


def test_gives_up_at_the_deadline_not_after_ten_minutes() -> None:
    script = _Script(IN_PROGRESS)
    (problem,) = script.wait(timeout=45 * 60)
    assert "still not COMPLETED after 45 min" in problem
    assert 45 * 60 <= script.now < 45 * 60 + 60, "polled until the deadline it was given"


def test_a_missing_or_inactive_service_or_no_rollout_state_fails() -> None:
    assert assess({**COMPLETED, "status": "DRAINING"}, NEW).state == "failed"
    no_state = _service({k: v for k, v in _deployment("PRIMARY", NEW, "COMPLETED").items() if k != "rolloutState"})
    assert assess(no_state, NEW).state == "failed"
    missing = wait_for_rollout(
        lambda _c, _s: {"services": [], "failures": [{"arn": "arn:...:service/imgpipe/x", "reason": "MISSING"}]},
        "imgpipe",
        {"x": NEW},
        60,
        sleep=lambda _: None,
        log=lambda _: None,
    )
    assert missing == ["arn:...:service/imgpipe/x: MISSING"]


def test_main_reports_the_failure_for_slack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output, summary = tmp_path / "output", tmp_path / "summary"
    script = _Script(ROLLING_BACK)
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = main(["--cluster", "imgpipe", "--timeout-minutes", "1", f"imgpipe-api={NEW}"], script.describe)
    assert code == 1
    (line,) = output.read_text().splitlines()
    assert line.startswith("failure=imgpipe-api: the deployment of imgpipe-api:7 FAILED")
    assert "ECS rollout failed" in summary.read_text()


def test_runs_as_the_workflow_runs_it_with_the_aws_cli(tmp_path: Path) -> None:
    """`python3 -m deploy.ecs_rollout` with only the stdlib, calling `aws ecs describe-services` on PATH."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([IN_PROGRESS, COMPLETED]))
    calls = tmp_path / "calls"
    fake_aws = tmp_path / "aws"
    # A stand-in for the AWS CLI: records its arguments, answers the next recorded describe-services response.
    fake_aws.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"calls = open({str(calls)!r}, 'a+'); calls.write(' '.join(sys.argv[1:]) + '\\n'); calls.seek(0)\n"
        f"answers = json.load(open({str(answers)!r}))\n"
        "n = len(calls.readlines()) - 1\n"
        "print(json.dumps({'services': [answers[min(n, len(answers) - 1)]], 'failures': []}))\n"
    )
    fake_aws.chmod(fake_aws.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):  # never write into a real run's files
        env.pop(variable, None)
    argv = ["--cluster", "imgpipe", "--timeout-minutes", "5", "--poll-seconds", "0", f"imgpipe-api={NEW}"]
    result = run_module("deploy.ecs_rollout", *argv, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "imgpipe-api: imgpipe-api:7 COMPLETED" in result.stdout
    first = calls.read_text().splitlines()[0]
    assert first == "ecs describe-services --cluster imgpipe --services imgpipe-api --output json"


def test_needs_only_the_standard_library() -> None:
    """The runner's own python3 runs it: nothing to install in the apply job."""
    for path in sorted((ROOT / "deploy").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in ("__future__", "deploy"), f"{path.name}: {module}"


def test_a_failing_describe_call_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def describe(_cluster: str, _services: list[str]) -> dict[str, Any]:
        raise subprocess.CalledProcessError(254, ["aws"], stderr="AccessDeniedException: ecs:DescribeServices\n")

    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["--cluster", "imgpipe", "--timeout-minutes", "1", f"imgpipe-api={NEW}"], describe) == 1
    expected = "failure=aws ecs describe-services failed: AccessDeniedException: ecs:DescribeServices\n"
    assert output.read_text() == expected


@pytest.mark.parametrize("argument", ["imgpipe-api", "=imgpipe-api:7", "imgpipe-api="])
def test_targets_must_name_a_service_and_a_task_definition(argument: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--cluster", "c", "--timeout-minutes", "1", argument], lambda _c, _s: {})
    assert exit_info.value.code == 2
