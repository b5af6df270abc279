"""envs/prod/moved.tf: a production state made before the network left the service module (VPC, subnets, gateways
and routes at module.service.*) plans to moves, not to destroying and recreating the network under running tasks.

The old state is rebuilt on moto: envs/prod's network applied (with a local backend and the provider pointed at
moto, in a copy of terraform/ of its own), then moved back to module.service in the state. The plan then reads no
resource (-refresh=false): only its data sources call the emulator.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.processes import start_moto
from tests.terraform.tf_support import TERRAFORM_SOURCE, Terraform

ROOT = "envs/prod"
INPUTS = [
    "-var=region=eu-west-1",
    "-var=image_tag=0123456789abcdef0123456789abcdef01234567",
    "-var=certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
    '-var=cors_allowed_origins=["https://imgpipe.example.com"]',
]
# Local state, and both providers on the emulator without account lookups (only STS and EC2 are called).
OVERRIDE = """
terraform {{
  backend "local" {{}}
}}
provider "aws" {{
  region                      = "eu-west-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 2
  endpoints {{
    sts = "{url}"
    ec2 = "{url}"
  }}
}}
provider "aws" {{
  alias                       = "chatbot"
  region                      = "us-east-2"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}
"""


@pytest.fixture(scope="module")
def prod_on_moto(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terraform]:
    """envs/prod in a copy of terraform/ of its own (the override must not reach the other tests), on a fresh moto."""
    workdir = tmp_path_factory.mktemp("prod-moves") / "terraform"
    shutil.copytree(TERRAFORM_SOURCE, workdir, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*.tfplan"))
    moto = start_moto()
    try:
        (workdir / ROOT / "zz_moto_override.tf").write_text(OVERRIDE.format(url=moto.url))
        tf = Terraform(terraform.binary, workdir, terraform.env)
        # The override replaces the S3 backend with a local one: the lock file still applies.
        tf.init(ROOT)
        yield tf
    finally:
        moto.stop()


def _plan(tf: Terraform) -> dict[str, Any]:
    tf.run(ROOT, "plan", "-refresh=false", "-no-color", "-out=moves.tfplan", *INPUTS, timeout=400)
    plan: dict[str, Any] = json.loads(tf.run(ROOT, "show", "-json", "-no-color", "moves.tfplan").stdout)
    return plan


def test_a_state_from_before_the_network_module_moves_without_replacing(prod_on_moto: Terraform) -> None:
    tf = prod_on_moto
    tf.run(ROOT, "apply", "-auto-approve", "-no-color", "-target=module.network", *INPUTS, timeout=400)
    # Back to where the network lived before: the state of a production stack applied before the move.
    tf.run(ROOT, "state", "mv", "-no-color", "module.network", "module.service")
    state = json.loads(Path(tf.workdir / ROOT / "terraform.tfstate").read_text())
    old = {f"{r['module']}.{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
    assert old and all(a.startswith("module.service.") for a in old), old

    changes = _plan(tf)["resource_changes"]
    network = [c for c in changes if c["address"].startswith("module.network.")]
    moved = {c["address"]: (c.get("previous_address"), c["change"]["actions"]) for c in network}
    assert moved and all(
        prev == "module.service." + address.removeprefix("module.network.") and actions == ["no-op"]
        for address, (prev, actions) in moved.items()
    ), json.dumps(moved, indent=2)
    # Every instance of the old state, and nothing else, is moved (14 resources, 21 instances with two zones).
    assert {a.split("[")[0].removeprefix("module.network.") for a in moved} == {
        a.removeprefix("module.service.") for a in old
    }
    destroyed = [c["address"] for c in changes if "delete" in c["change"]["actions"]]
    assert not destroyed, destroyed
