"""Wait until ECS services run the new task definition, or fail: the deploy workflow's rollout check.

`aws ecs wait services-stable` is not enough: a service is also "stable" after the deployment circuit breaker
rolled it back to the old task definition, and the waiter gives up after 10 minutes. This polls
`aws ecs describe-services` until, for every service, the PRIMARY deployment runs the expected task definition
and its `rolloutState` is COMPLETED. It fails as soon as that deployment is FAILED, or the primary deployment runs
another task definition (a rollback, or someone else's deploy), or at the deadline.

    python3 -m deploy.ecs_rollout --cluster NAME --timeout-minutes 60 SERVICE=TASK_DEFINITION [...]

TASK_DEFINITION is an ARN or `family:revision`. Exit 0 when every service completed, 1 otherwise; the failure is
also written to $GITHUB_OUTPUT (`failure=...`, for the Slack message) and $GITHUB_STEP_SUMMARY when set.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Describe = Callable[[str, list[str]], dict[str, Any]]

POLL_SECONDS = 15.0


@dataclass(frozen=True)
class Outcome:
    state: Literal["completed", "in_progress", "failed"]
    message: str


def same_task_definition(arn: str, expected: str) -> bool:
    """`arn:aws:ecs:<region>:<account>:task-definition/family:rev` matches itself or `family:rev`."""
    if arn == expected:
        return True
    return arn.rpartition(":task-definition/")[2] == expected.rpartition(":task-definition/")[2]


def assess(service: dict[str, Any], expected: str) -> Outcome:
    """Where one service's rollout of `expected` stands, from its describe-services entry."""
    name = service.get("serviceName", "?")
    if service.get("status") != "ACTIVE":
        return Outcome("failed", f"{name}: the service is {service.get('status')}")
    deployments: list[dict[str, Any]] = service.get("deployments", [])
    for deployment in deployments:
        if same_task_definition(deployment["taskDefinition"], expected) and deployment.get("rolloutState") == "FAILED":
            reason = deployment.get("rolloutStateReason", "no reason given")
            failed = f"{name}: the deployment of {expected} FAILED ({reason})"
            return Outcome("failed", failed + _rolled_back(deployments))
    primaries = [d for d in deployments if d.get("status") == "PRIMARY"]
    if len(primaries) != 1:
        return Outcome("in_progress", f"{name}: {len(primaries)} PRIMARY deployments")
    primary = primaries[0]
    if not same_task_definition(primary["taskDefinition"], expected):
        return Outcome(
            "failed",
            f"{name}: the primary deployment runs {primary['taskDefinition']}, not {expected}: rolled back or "
            "replaced by another deployment",
        )
    state = primary.get("rolloutState")
    counts = f"{primary.get('runningCount', 0)}/{primary.get('desiredCount', 0)} running"
    if primary.get("failedTasks"):
        counts += f", {primary['failedTasks']} failed tasks"
    if state == "COMPLETED":
        return Outcome("completed", f"{name}: {expected} COMPLETED ({counts})")
    if state == "IN_PROGRESS":
        return Outcome("in_progress", f"{name}: {expected} IN_PROGRESS ({counts})")
    if state is None:
        # Only the rolling-update (ECS) controller reports it; without it this check cannot tell success.
        return Outcome("failed", f"{name}: no rolloutState (the service must use the ECS deployment controller)")
    reason = primary.get("rolloutStateReason", "no reason given")
    return Outcome("failed", f"{name}: {expected} {state} ({reason})")


def _rolled_back(deployments: list[dict[str, Any]]) -> str:
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    return f"; rolled back to {primary['taskDefinition']}" if primary else ""


def wait_for_rollout(
    describe: Describe,
    cluster: str,
    targets: dict[str, str],
    timeout_seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
) -> list[str]:
    """Poll until every service completed (returns []) or one failed / the deadline passed (returns the reasons)."""
    deadline = clock() + timeout_seconds
    last: dict[str, str] = {}
    while True:
        response = describe(cluster, sorted(targets))
        found = {s["serviceName"]: s for s in response.get("services", [])}
        missing = [f"{f.get('arn', '?')}: {f.get('reason', '?')}" for f in response.get("failures", [])]
        missing += [f"{name}: not in the cluster" for name in targets if name not in found and not missing]
        if missing:
            return missing
        outcomes = {name: assess(found[name], expected) for name, expected in targets.items()}
        for name, outcome in outcomes.items():
            if last.get(name) != outcome.message:
                log(outcome.message)
                last[name] = outcome.message
        failed = [o.message for o in outcomes.values() if o.state == "failed"]
        if failed:
            return failed
        if all(o.state == "completed" for o in outcomes.values()):
            return []
        if clock() >= deadline:
            waiting = [o.message for o in outcomes.values() if o.state == "in_progress"]
            minutes = timeout_seconds / 60
            return [f"still not COMPLETED after {minutes:.0f} min (ECS goes on; see the console): {m}" for m in waiting]
        sleep(poll_seconds)


def describe_with_aws_cli(cluster: str, services: list[str]) -> dict[str, Any]:
    """`aws ecs describe-services`, with the CLI's own retries for throttling and transient errors."""
    env = {**os.environ, "AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "10"}
    command = ["aws", "ecs", "describe-services", "--cluster", cluster, "--services", *services, "--output", "json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120)  # noqa: S603
    response: dict[str, Any] = json.loads(result.stdout)
    return response


def _append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as file:  # noqa: PTH123
            file.write(text)


def main(argv: Sequence[str] | None = None, describe: Describe = describe_with_aws_cli) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m deploy.ecs_rollout", description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--timeout-minutes", type=float, required=True, help="Give up (and fail) after this long.")
    parser.add_argument("--poll-seconds", type=float, default=POLL_SECONDS)
    parser.add_argument("targets", nargs="+", metavar="SERVICE=TASK_DEFINITION")
    args = parser.parse_args(argv)
    targets: dict[str, str] = {}
    for target in args.targets:
        service, sep, task_definition = target.partition("=")
        if not (sep and service and task_definition):
            parser.error(f"expected SERVICE=TASK_DEFINITION, got {target!r}")
        targets[service] = task_definition

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        problems = wait_for_rollout(
            describe, args.cluster, targets, args.timeout_minutes * 60, log=log, poll_seconds=args.poll_seconds
        )
    except subprocess.CalledProcessError as exc:  # the CLI already retried: credentials, permissions, no cluster
        problems = [f"aws ecs describe-services failed: {(exc.stderr or '').strip() or exc}"]
    if not problems:
        _append("GITHUB_STEP_SUMMARY", "".join(f"- `{name}`: COMPLETED\n" for name in sorted(targets)))
        return 0
    for problem in problems:
        print(f"::error::{problem}", file=sys.stderr, flush=True)
    failure = "; ".join(problems).replace("\n", " ")  # one line: a GITHUB_OUTPUT value
    _append("GITHUB_OUTPUT", f"failure={failure}\n")
    _append("GITHUB_STEP_SUMMARY", f"### ECS rollout failed\n{failure}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
