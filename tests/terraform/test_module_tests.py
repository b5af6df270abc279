"""The `terraform test` suites (modules/*/tests, envs/*/tests: *.tftest.hcl), run offline with mock_provider."""

from __future__ import annotations

import pytest

from tests.terraform.tf_support import TERRAFORM_SOURCE, Terraform

SUITES = sorted(
    {p.parent.parent.relative_to(TERRAFORM_SOURCE).as_posix() for p in TERRAFORM_SOURCE.glob("*/*/tests/*.tftest.hcl")}
)


def test_every_module_has_tests() -> None:
    modules = {p.parent.relative_to(TERRAFORM_SOURCE).as_posix() for p in TERRAFORM_SOURCE.glob("modules/*/main.tf")}
    assert modules, "no modules found under terraform/modules"
    assert modules <= set(SUITES), f"modules without tests/*.tftest.hcl: {sorted(modules - set(SUITES))}"


@pytest.mark.parametrize("root", SUITES)
def test_terraform_test(terraform: Terraform, root: str) -> None:
    # `terraform test` keeps its state in memory: a root's backend (envs/prod: S3) is never initialised.
    terraform.init(root, "-backend=false")
    proc = terraform.run(root, "test", "-no-color", check=False)
    assert proc.returncode == 0, f"terraform test in {root} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Success!" in proc.stdout and " 0 failed" in proc.stdout, proc.stdout
