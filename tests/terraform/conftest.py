"""Fixtures of the Terraform tests: terraform with the offline provider mirror on a scratch copy of terraform/
(nothing is written into the repository), and envs/local applied to a fresh moto server.

Tests skip, naming what is missing, when terraform or the provider mirror is not installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.terraform.tf_support import (
    DEFAULT_PLUGIN_MIRROR,
    TERRAFORM_SOURCE,
    LocalApply,
    Terraform,
    TerraformLocalStack,
    cli_config,
    terraform_env,
)

HERE = Path(__file__).resolve().parent
STACK_FIXTURE = "terraform_local_stack"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests on the applied stack after the other Terraform tests: the apply, started in the background by
    the first Terraform test, then waits on the provider while those run, instead of in front of them."""
    positions = [i for i, item in enumerate(items) if item.path.is_relative_to(HERE)]
    ours = [items[i] for i in positions]
    reordered = [t for t in ours if STACK_FIXTURE not in t.fixturenames] + [
        t for t in ours if STACK_FIXTURE in t.fixturenames
    ]
    for position, item in zip(positions, reordered, strict=True):
        items[position] = item


@pytest.fixture(scope="session")
def terraform_binary() -> str:
    binary = shutil.which(os.environ.get("IMGPIPE_TERRAFORM", "terraform"))
    if binary is None:
        pytest.skip("terraform is not installed (put it on PATH or set IMGPIPE_TERRAFORM)")
    return binary


@pytest.fixture(scope="session")
def plugin_mirror() -> Path:
    mirror = Path(os.environ.get("IMGPIPE_TF_PLUGIN_MIRROR", DEFAULT_PLUGIN_MIRROR))
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(
            f"no hashicorp/aws provider mirror at {mirror} (set IMGPIPE_TF_PLUGIN_MIRROR to the folder "
            "holding registry.terraform.io/); these tests never download providers"
        )
    return mirror


@pytest.fixture(scope="session")
def terraform(terraform_binary: str, plugin_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    base = tmp_path_factory.mktemp("terraform")
    workdir = base / "terraform"
    shutil.copytree(
        TERRAFORM_SOURCE,
        workdir,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "*.tfbackend"),
    )
    config = base / "cli.tfrc"
    config.write_text(cli_config(plugin_mirror))
    return Terraform(terraform_binary, workdir, terraform_env(config))


@pytest.fixture(scope="session")
def local_apply(terraform: Terraform) -> Iterator[LocalApply]:
    """A fresh moto server with envs/local being applied to it (closed here at the latest)."""
    apply = LocalApply(terraform)
    try:
        yield apply
    finally:
        apply.close()


@pytest.fixture(scope="session", autouse=True)
def _start_local_apply_early(request: pytest.FixtureRequest) -> None:
    """Start the moto apply with the first Terraform test when tests on the stack are selected (see above)."""
    if any(STACK_FIXTURE in item.fixturenames for item in request.session.items):
        # Without terraform or the mirror this skips; the tests that need them then skip themselves, saying why.
        with contextlib.suppress(pytest.skip.Exception):
            request.getfixturevalue("local_apply")


@pytest.fixture(scope="module")
def terraform_local_stack(local_apply: LocalApply) -> Iterator[TerraformLocalStack]:
    """envs/local applied to moto: its endpoint and `terraform output` values. Destroyed, and the server stopped,
    after the module's tests (one module uses it: the stack is not re-applied)."""
    try:
        yield local_apply.result()
    finally:
        local_apply.close()
