"""deploy.yml's gates: CI passed on the commit, `production` requires a reviewer, the ECS rollout really completed
(not rolled back), and a redeploy of an earlier image without a rebuild. The scripts the gates run are tested in
test_deploy_gates.py and test_ecs_rollout.py; these tests check the workflow runs them, in the right place.
"""

from __future__ import annotations

import re
from typing import Any

from tests.deploy.deploy_support import (
    WORKFLOWS_DIR,
    job_runs,
    job_steps,
    load_workflow,
    slack_jobs,
    steps_using,
    workflow_jobs,
)


def test_an_operator_can_redeploy_an_earlier_image_without_a_rebuild() -> None:
    workflow = load_workflow(WORKFLOWS_DIR / "deploy.yml")
    image_tag = workflow["on"]["workflow_dispatch"]["inputs"]["image_tag"]
    assert image_tag["type"] == "string" and image_tag["default"] == ""
    # One name for "what is deployed": the input when given, else this commit.
    assert workflow["env"]["IMAGE_TAG"] == "${{ inputs.image_tag || github.sha }}"
    jobs = workflow["jobs"]
    # The tag is checked (a full SHA, main only) before anything else.
    gate_run = job_runs(jobs["ci-gate"])
    assert "^[0-9a-f]{40}$" in gate_run and "refs/heads/main" in gate_run
    # A redeploy never builds: the image must already be in ECR, or the job fails.
    images = jobs["images"]
    (exists,) = [s for s in job_steps(images) if "aws ecr describe-images" in s.get("run", "")]
    assert 'imageTag="$IMAGE_TAG"' in exists["run"]
    assert '[ "$REDEPLOY" = true ]' in exists["run"] and "exit 1" in exists["run"]
    (build,) = steps_using(images, "docker/build-push-action")
    assert build["if"] == "steps.exists.outputs.found == 'false'"
    assert build["with"]["tags"].endswith(":${{ github.sha }}"), "only this commit's code is built"


def _needs(job: dict[str, Any]) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def _upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job `name` waits for, directly or through other jobs."""
    found: set[str] = set()
    todo = list(_needs(jobs[name]))
    while todo:
        job = todo.pop()
        if job not in found:
            found.add(job)
            todo += _needs(jobs[job])
    return found


def test_deploy_waits_for_ci_on_the_same_commit() -> None:
    jobs = workflow_jobs("deploy.yml")
    gate = jobs["ci-gate"]
    (step,) = [s for s in job_steps(gate) if "deploy.ci_gate" in s.get("run", "")]
    run = step["run"]
    assert run.startswith("python3 -m deploy.ci_gate ")
    assert '--sha "$IMAGE_TAG"' in run, "the commit deployed (or whose image is redeployed) must be green"
    workflow_file = re.search(r"--workflow (\S+)", run)
    assert workflow_file, "name the CI workflow"
    ci = load_workflow(WORKFLOWS_DIR / workflow_file.group(1))
    assert ci["name"] == "CI" and "main" in ci["on"]["push"]["branches"], "the gate waits for CI's push run"
    # A newer push must not cancel the CI run an earlier deploy is waiting for.
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert gate["permissions"].get("actions") == "read"
    assert "environment" not in gate
    # Nothing is built, planned or applied before CI passed.
    for name in ("images", "plan", "apply"):
        assert "ci-gate" in _upstream(jobs, name), f"{name} does not wait for the CI gate"


def test_deploy_refuses_an_unprotected_production_environment() -> None:
    jobs = workflow_jobs("deploy.yml")
    check = jobs["environment-check"]
    (step,) = [s for s in job_steps(check) if "deploy.environment_gate" in s.get("run", "")]
    environment = jobs["apply"]["environment"]
    name = environment if isinstance(environment, str) else environment["name"]
    assert f"--environment {name}" in step["run"], "check the environment the apply job uses"
    assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert check["permissions"].get("actions") == "read"
    # Only the apply job names the environment (naming it would create it unprotected), and it runs after the check.
    assert [n for n, job in jobs.items() if "environment" in job] == ["apply"]
    assert {"environment-check", "ci-gate"} <= _needs(jobs["apply"]), "apply needs both gates directly"
    assert "environment-check" in _upstream(jobs, "images")


def test_ecs_rollout_checks_the_new_task_definitions_completed_after_apply() -> None:
    workflow = load_workflow(WORKFLOWS_DIR / "deploy.yml")
    apply = workflow["jobs"]["apply"]
    steps = job_steps(apply)
    runs = [s.get("run", "") for s in steps]
    apply_at = next(i for i, r in enumerate(runs) if " apply " in r)
    update_at = next(i for i, r in enumerate(runs) if "aws ecs update-service" in r)
    check_at = next(i for i, r in enumerate(runs) if "python3 -m deploy.ecs_rollout" in r)
    assert apply_at < update_at < check_at
    # services-stable also succeeds after a circuit-breaker rollback, and gives up after 10 minutes.
    assert "services-stable" not in "\n".join(runs)
    check = steps[check_at]
    # Each service against the task definition Terraform applied, with a deadline the operator can set.
    assert "output -json task_definition_arns" in check["run"] and "_service_name" in check["run"]
    assert '--timeout-minutes "$ROLLOUT_TIMEOUT_MINUTES"' in check["run"]
    default = workflow["on"]["workflow_dispatch"]["inputs"]["rollout_timeout_minutes"]["default"]
    assert check["env"]["ROLLOUT_TIMEOUT_MINUTES"] == f"${{{{ inputs.rollout_timeout_minutes || {default} }}}}"
    assert apply["timeout-minutes"] >= default + 20, "the job must outlast the rollout deadline (and the apply)"
    # The reason of a failed rollout reaches Slack.
    assert apply["outputs"]["rollout_failure"] == f"${{{{ steps.{check['id']}.outputs.failure }}}}"
    (notify,) = slack_jobs("deploy.yml").values()
    payload = steps_using(notify, "slackapi/slack-github-action")[0]["with"]["payload"]
    assert "needs.apply.outputs.rollout_failure" in payload


def test_images_are_built_for_the_configured_platform_natively() -> None:
    images = workflow_jobs("deploy.yml")["images"]
    (build,) = steps_using(images, "docker/build-push-action")
    assert build["with"]["platforms"] == "${{ vars.IMAGE_PLATFORM || 'linux/amd64' }}"
    # arm64 on GitHub's arm64 runner: no QEMU emulation, the same build time as amd64.
    assert images["runs-on"] == "${{ vars.IMAGE_PLATFORM == 'linux/arm64' && 'ubuntu-24.04-arm' || 'ubuntu-24.04' }}"
