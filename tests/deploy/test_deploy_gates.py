"""deploy/ci_gate.py and deploy/environment_gate.py against a loopback server with GitHub's documented answers.

The CI gate: a deploy goes on only once the CI workflow's push run on the same commit concluded `success`.
The environment gate: a deploy goes on only if `production` exists and has at least one required reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploy import ci_gate, environment_gate
from tests.deploy.fake_github import FakeGitHub

REPO = "acme/imgpipe"
SHA = "0123456789abcdef0123456789abcdef01234567"
RUNS = f"/repos/{REPO}/actions/workflows/ci.yml/runs"
ENVIRONMENT = f"/repos/{REPO}/environments/production"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test-token")
    try:
        yield fake
    finally:
        fake.close()


def _run(status: str, conclusion: str | None, created: str = "2026-12-01T14:00:00Z", run_id: int = 1) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": "CI",
        "head_sha": SHA,
        "event": "push",
        "status": status,
        "conclusion": conclusion,
        "created_at": created,
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
    }


def _runs(*runs: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {"total_count": len(runs), "workflow_runs": list(runs)}


def _gate(*extra: str) -> int:
    return ci_gate.main(["--repo", REPO, "--sha", SHA, "--poll-seconds", "0", *extra])


def test_ci_gate_waits_for_the_run_and_passes_on_success(github: FakeGitHub) -> None:
    github.answers[RUNS] = [
        _runs(),  # the push's CI run is not created yet
        _runs(_run("queued", None)),
        _runs(_run("in_progress", None)),
        _runs(_run("completed", "success")),
    ]
    assert _gate() == 0
    path, headers = github.requests[0]
    assert path == f"{RUNS}?head_sha={SHA}&event=push&per_page=20"
    assert headers["Authorization"] == "Bearer ghs_test-token"
    assert len(github.requests) == 4


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "timed_out", "startup_failure", "action_required"])
def test_ci_gate_refuses_a_red_commit(github: FakeGitHub, conclusion: str, capsys: pytest.CaptureFixture[str]) -> None:
    github.answers[RUNS] = [_runs(_run("in_progress", None)), _runs(_run("completed", conclusion))]
    assert _gate() == 1
    assert f"CI concluded `{conclusion}`" in capsys.readouterr().err


def test_ci_gate_follows_the_newest_run(github: FakeGitHub) -> None:
    old_green = _run("completed", "success", "2026-12-01T14:00:00Z", 1)
    new_red = _run("completed", "failure", "2026-12-01T15:00:00Z", 2)
    github.answers[RUNS] = [_runs(old_green, new_red)]
    assert _gate() == 1
    github.answers[RUNS] = [_runs(new_red, _run("completed", "success", "2026-12-01T16:00:00Z", 3))]
    assert _gate() == 0


def test_ci_gate_refuses_when_no_run_appears_or_ci_never_ends(github: FakeGitHub) -> None:
    github.answers[RUNS] = [_runs()]
    assert _gate("--appear-minutes", "0") == 1
    github.answers[RUNS] = [_runs(_run("in_progress", None))]
    assert _gate("--timeout-minutes", "0") == 1


def test_ci_gate_refuses_when_the_api_refuses(github: FakeGitHub) -> None:
    github.answers[RUNS] = [(403, {"message": "Resource not accessible by integration"})]
    assert _gate() == 1


def _environment(*rules: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {
        "id": 161088068,
        "name": "production",
        "protection_rules": list(rules),
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    }


REVIEWERS = {
    "id": 3755,
    "type": "required_reviewers",
    "prevent_self_review": True,
    "reviewers": [
        {"type": "User", "reviewer": {"login": "octocat", "id": 1}},
        {"type": "Team", "reviewer": {"slug": "release-approvers", "name": "Release approvers", "id": 2}},
    ],
}


def _env_gate() -> int:
    return environment_gate.main(["--repo", REPO, "--environment", "production"])


def test_environment_gate_passes_with_required_reviewers(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github.answers[ENVIRONMENT] = [_environment({"id": 1, "type": "wait_timer", "wait_timer": 5}, REVIEWERS)]
    assert _env_gate() == 0
    assert "User octocat, Team release-approvers" in capsys.readouterr().out


def test_environment_gate_refuses_a_missing_environment(github: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert _env_gate() == 1  # the fake answers 404, as GitHub does for an environment that does not exist
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"id": 1, "type": "wait_timer", "wait_timer": 30}],
        [{"id": 2, "type": "branch_policy"}],
        [{**REVIEWERS, "reviewers": []}],
    ],
    ids=["no rules", "wait timer only", "branch policy only", "reviewer rule without reviewers"],
)
def test_environment_gate_refuses_without_a_reviewer(
    github: FakeGitHub, rules: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    github.answers[ENVIRONMENT] = [_environment(*rules)]
    assert _env_gate() == 1
    assert "no required reviewers" in capsys.readouterr().err


def test_environment_gate_refuses_when_it_cannot_read_the_environment(github: FakeGitHub) -> None:
    github.answers[ENVIRONMENT] = [(403, {"message": "Resource not accessible by integration"})]
    assert _env_gate() == 1
