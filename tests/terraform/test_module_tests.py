"""The modules' own `terraform test` suites (modules/*/tests/*.tftest.hcl), run offline with mock_provider."""

from __future__ import annotations

import pytest

from tests.terraform.tf_support import TERRAFORM_SOURCE, Terraform

MODULES = sorted(
    p.parent.parent.relative_to(TERRAFORM_SOURCE).as_posix()
    for p in TERRAFORM_SOURCE.glob("modules/*/tests/*.tftest.hcl")
)


def test_every_module_has_tests() -> None:
    modules = {p.parent.relative_to(TERRAFORM_SOURCE).as_posix() for p in TERRAFORM_SOURCE.glob("modules/*/main.tf")}
    assert modules == set(MODULES), f"modules without tests/*.tftest.hcl: {sorted(modules - set(MODULES))}"


@pytest.mark.parametrize("module", MODULES)
def test_module_terraform_test(terraform: Terraform, module: str) -> None:
    terraform.init(module)
    proc = terraform.run(module, "test", "-no-color", check=False)
    assert proc.returncode == 0, f"terraform test in {module} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Success!" in proc.stdout and " 0 failed" in proc.stdout, proc.stdout
