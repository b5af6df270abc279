"""Running terraform offline against a scratch copy of terraform/, and reading a root's outputs."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cli.processes import Service, start_moto
from cli.stack import EMULATOR_CREDENTIALS

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_SOURCE = REPO / "terraform"
# The folder holding registry.terraform.io/hashicorp/aws/<version>/<platform>/ (a filesystem mirror).
DEFAULT_PLUGIN_MIRROR = "/opt/tf-plugins"
LOCAL_ROOT = "envs/local"


@dataclass
class Terraform:
    """terraform run in a scratch copy of terraform/, offline: providers come from the mirror only."""

    binary: str
    workdir: Path
    env: dict[str, str]
    _initialized: set[str] = field(default_factory=set)
    # The moto apply inits envs/local in a background thread while tests init roots in the foreground.
    _init_lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, root: str, *args: str, timeout: float = 240, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.binary, f"-chdir={self.workdir / root}", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} in {root} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
                pytrace=False,
            )
        return proc

    def init(self, root: str, *extra: str) -> None:
        """`terraform init` once per root and session. Roots with a committed lock file must match it exactly."""
        with self._init_lock:
            if root in self._initialized:
                return
            lockfile = ["-lockfile=readonly"] if (self.workdir / root / ".terraform.lock.hcl").exists() else []
            self.run(root, "init", "-input=false", "-no-color", *lockfile, *extra)
            self._initialized.add(root)


def cli_config(mirror: Path) -> str:
    """A CLI config installing every registry provider from the mirror and none from the network."""
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
        "}\n"
    )


def terraform_env(cli_config_file: Path) -> dict[str, str]:
    """The process environment: no AWS credentials or Terraform settings of whoever runs the tests leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env |= {
        "TF_CLI_CONFIG_FILE": str(cli_config_file),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return env


def terraform_outputs(tf: Terraform, root: str) -> dict[str, Any]:
    """`terraform output -json` of a root as {name: value}: what the app and the tests configure themselves from."""
    raw = json.loads(tf.run(root, "output", "-json", "-no-color").stdout)
    return {name: output["value"] for name, output in raw.items()}


@dataclass(frozen=True)
class TerraformLocalStack:
    """envs/local applied to an emulator; `outputs` is `terraform_outputs(tf, "envs/local")`."""

    endpoint_url: str
    outputs: dict[str, Any]

    @property
    def service_env(self) -> dict[str, str]:
        """The stack's IMGPIPE_* settings, as envs/local outputs them."""
        return dict(self.outputs["service_env"])

    @property
    def process_env(self) -> dict[str, str]:
        """Environment of a process using this stack: emulator credentials plus `service_env`. Pass it to
        cli.processes.start_api / start_worker to run the app on the Terraform-made resources."""
        return {**EMULATOR_CREDENTIALS, **self.service_env}


class LocalApply:
    """envs/local applied to a fresh moto server in a background thread, so that the apply's waiting (the provider
    polls S3 lifecycle rules and SQS attributes until they read back stable, about a minute) overlaps other tests.
    `close()` destroys the stack and stops the server."""

    def __init__(self, terraform: Terraform) -> None:
        self.terraform = terraform
        self._moto: Service | None = start_moto()
        assert self._moto.url is not None
        self.endpoint_url = self._moto.url
        self._vars = [f"-var=endpoint_url={self.endpoint_url}"]
        self._applied = False
        self._stack: TerraformLocalStack | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._apply, name="terraform-apply", daemon=True)
        self._thread.start()

    def _apply(self) -> None:
        try:
            self.terraform.init(LOCAL_ROOT)
            # Set before the apply: a failed apply can leave resources that destroy must remove.
            self._applied = True
            self.terraform.run(LOCAL_ROOT, "apply", "-auto-approve", "-no-color", *self._vars)
            self._stack = TerraformLocalStack(self.endpoint_url, terraform_outputs(self.terraform, LOCAL_ROOT))
        except BaseException as exc:  # pytest.fail raises outside Exception; re-raised in the test's thread
            self._error = exc

    def result(self, timeout: float = 280) -> TerraformLocalStack:
        """The applied stack, once the apply is done; the apply's failure, re-raised, if it failed."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            pytest.fail(f"terraform apply of {LOCAL_ROOT} still running after {timeout:.0f}s", pytrace=False)
        if self._error is not None:
            raise self._error
        assert self._stack is not None
        return self._stack

    def close(self) -> None:
        """Destroy what was applied, then stop the server; once. A failed destroy fails the run: the module must
        be destroyable."""
        moto, self._moto = self._moto, None
        if moto is None:
            return
        try:
            self._thread.join(280)
            if self._applied and not self._thread.is_alive():
                # Nothing changed behind Terraform's back: skip the refresh, which re-reads every lifecycle rule.
                self.terraform.run(LOCAL_ROOT, "destroy", "-auto-approve", "-no-color", "-refresh=false", *self._vars)
        finally:
            moto.stop()
