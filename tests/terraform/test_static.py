"""Static checks of terraform/: formatting, validation of every root (offline), and checkov's security scan."""

from __future__ import annotations

import json
import os
import re
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


# A variable block as `terraform fmt` writes it (test_terraform_is_formatted): its top-level attributes indented
# two spaces, its closing brace alone at the start of a line.
VARIABLE = re.compile(r'^variable "(?P<name>[^"]+)" \{\n(?P<body>.*?)^\}', re.MULTILINE | re.DOTALL)
COLLECTION_TYPE = re.compile(r"^  type\s*=\s*(list|map|set|object|tuple)\(", re.MULTILINE)


def test_collection_variables_are_not_nullable() -> None:
    """A list, map, set or object input is never null unless null is its documented "none" (default = null): a
    caller passing null gets the default, so module code needs no null checks on it."""
    checked, nullable = 0, []
    for path in sorted(TERRAFORM_SOURCE.glob("*/*/variables.tf")):
        for var in VARIABLE.finditer(path.read_text()):
            body = var["body"]
            if not COLLECTION_TYPE.search(body) or re.search(r"^  default\s*=\s*null$", body, re.MULTILINE):
                continue
            checked += 1
            if not re.search(r"^  nullable\s*=\s*false$", body, re.MULTILINE):
                nullable.append(f"{path.relative_to(TERRAFORM_SOURCE)}: {var['name']}")
    assert checked, "no collection variable found: has the layout of terraform/ changed?"
    assert not nullable, f"collection variables without `nullable = false`: {nullable}"


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
