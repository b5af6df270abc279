"""Static checks of terraform/: formatting, validation of every root (offline), and checkov's security scan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.tf_support import REPO, TERRAFORM_SOURCE, Terraform

ROOTS = {
    # Partial S3 backend: validation needs no state bucket, so the backend is not initialised.
    "envs/prod": ["-backend=false"],
    "envs/local": [],
}


def test_terraform_is_formatted(terraform: Terraform) -> None:
    proc = terraform.run(".", "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_SOURCE), check=False)
    assert proc.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("root", sorted(ROOTS))
def test_root_validates(terraform: Terraform, root: str) -> None:
    terraform.init(root, *ROOTS[root])
    proc = terraform.run(root, "validate", "-json", "-no-color", check=False)
    result = json.loads(proc.stdout)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=2)


def _checkov() -> str:
    """checkov from IMGPIPE_CHECKOV, else the venv .ci/run makes, else PATH (e.g. installed with pipx)."""
    configured = os.environ.get("IMGPIPE_CHECKOV")
    venv = REPO / ".venv-checkov" / "bin" / "checkov"
    found = configured or (str(venv) if venv.is_file() else shutil.which("checkov"))
    if found is None or not Path(found).is_file():
        pytest.skip(
            f"checkov not found (IMGPIPE_CHECKOV, {venv.relative_to(REPO)} or PATH): it pins an old boto3, so "
            "install it apart from the app: python3 -m venv .venv-checkov && "
            ".venv-checkov/bin/pip install checkov==3.3.30 (.ci/run does this)"
        )
    return found


def _reports(output: str) -> list[dict[str, Any]]:
    # One framework gives one report object; checkov gives a list when several ran.
    report = json.loads(output)
    return report if isinstance(report, list) else [report]


def test_checkov_finds_nothing(tmp_path: Path) -> None:
    """No failed check; every skipped one is skipped in the code (`#checkov:skip=ID:reason`) with its reason."""
    checkov = _checkov()
    # A copy of the sources only: no .terraform/ folder of anyone's local init gets scanned. Needs no terraform.
    source = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_SOURCE, source, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.tfplan"))
    # --skip-download: offline, checkov's built-in checks only.
    argv = [checkov, "-d", str(source), "--framework", "terraform", "--skip-download", "--compact"]
    proc = subprocess.run([*argv, "-o", "json"], capture_output=True, text=True, timeout=180, check=False)
    reports = _reports(proc.stdout)
    summary = {key: sum(r["summary"][key] for r in reports) for key in ("passed", "failed", "parsing_errors")}
    if summary["failed"]:
        # Re-run for the readable report of what failed.
        readable = subprocess.run([*argv, "--quiet"], capture_output=True, text=True, timeout=180, check=False)
        pytest.fail(f"checkov: {summary['failed']} failed checks\n{readable.stdout}", pytrace=False)
    assert summary["parsing_errors"] == 0, proc.stdout
    assert summary["passed"] > 0, f"checkov scanned nothing:\n{proc.stdout}\n{proc.stderr}"

    skipped = [c for r in reports for c in r["results"].get("skipped_checks", [])]
    unexplained = sorted(
        f"{c['check_id']} on {c['resource']}"
        for c in skipped
        if len((c["check_result"].get("suppress_comment") or "").split()) < 5
    )
    assert not unexplained, f"skipped without a written reason: {unexplained}"
    assert proc.returncode == 0, proc.stderr
