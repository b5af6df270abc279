"""Wait for the CI workflow's run on a commit and succeed only if it passed: a red `main` is never deployed.

    python3 -m deploy.ci_gate --repo OWNER/REPO --workflow ci.yml --sha SHA --timeout-minutes 45

Looks at the workflow's runs for that commit triggered by a push (GET /repos/{repo}/actions/workflows/{workflow}/
runs?head_sha=...&event=push). The newest run decides: completed with conclusion `success` passes; any other
conclusion (failure, cancelled, timed_out, ...) fails; queued or in progress is waited for. A run that has not
appeared after --appear-minutes fails too (CI was skipped, or the file was renamed). Needs GITHUB_TOKEN with
`actions: read`. Exit 0 when CI passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deploy.github_api import GitHubApiError, get_json

Runs = Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True)
class Verdict:
    state: Literal["passed", "waiting", "failed"]
    message: str


def judge(runs: list[dict[str, Any]]) -> Verdict:
    """What the newest CI run on the commit says (a re-run updates the same run, with its latest attempt)."""
    if not runs:
        return Verdict("waiting", "no CI run for this commit yet")
    newest = max(runs, key=lambda run: (run.get("created_at", ""), run.get("id", 0)))
    where = newest.get("html_url", f"run {newest.get('id')}")
    if newest.get("status") != "completed":
        return Verdict("waiting", f"CI is {newest.get('status')}: {where}")
    if newest.get("conclusion") == "success":
        return Verdict("passed", f"CI passed: {where}")
    return Verdict("failed", f"CI concluded `{newest.get('conclusion')}`: {where}")


def wait_for_ci(
    runs: Runs,
    timeout_seconds: float,
    appear_seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = print,
    poll_seconds: float = 30.0,
) -> Verdict:
    started = clock()
    last = ""
    while True:
        verdict = judge(runs())
        if verdict.message != last:
            log(verdict.message)
            last = verdict.message
        if verdict.state != "waiting":
            return verdict
        elapsed = clock() - started
        if verdict.message.startswith("no CI run") and elapsed >= appear_seconds:
            return Verdict("failed", f"no CI run for this commit after {appear_seconds / 60:.0f} min")
        if elapsed >= timeout_seconds:
            return Verdict("failed", f"CI did not finish within {timeout_seconds / 60:.0f} min ({verdict.message})")
        sleep(poll_seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m deploy.ci_gate", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="OWNER/REPO")
    parser.add_argument("--workflow", default="ci.yml", help="The CI workflow's file name.")
    parser.add_argument("--sha", required=True, help="The commit whose CI must have passed.")
    parser.add_argument("--timeout-minutes", type=float, default=45)
    parser.add_argument("--appear-minutes", type=float, default=10)
    parser.add_argument("--poll-seconds", type=float, default=30)
    args = parser.parse_args(argv)

    def runs() -> list[dict[str, Any]]:
        query = {"head_sha": args.sha, "event": "push", "per_page": "20"}
        status, body = get_json(f"/repos/{args.repo}/actions/workflows/{args.workflow}/runs", query)
        if status != 200:
            raise GitHubApiError(f"listing the runs of {args.workflow}: HTTP {status} {body.get('message', '')}")
        found: list[dict[str, Any]] = body.get("workflow_runs", [])
        return found

    try:
        verdict = wait_for_ci(runs, args.timeout_minutes * 60, args.appear_minutes * 60, poll_seconds=args.poll_seconds)
    except GitHubApiError as exc:
        verdict = Verdict("failed", str(exc))
    if verdict.state != "passed":
        print(f"::error::refusing to deploy {args.sha}: {verdict.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
