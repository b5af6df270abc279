"""The local stack: moto server + provisioned resources + API + worker(s), all real processes on 127.0.0.1.

`with start_local_stack(...) as stack:` stops every process it started when the block ends, however it ends.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cli.processes import Service, start_api, start_moto, start_worker
from core.aws import EMULATOR_CREDENTIALS, AwsClients
from core.config import Settings
from core.provision import Provisioned, provision

__all__ = ["EMULATOR_CREDENTIALS", "LocalStack", "start_local_stack"]


@dataclass
class LocalStack:
    settings: Settings
    moto: Service
    provisioned: Provisioned
    api: Service | None = None
    workers: list[Service] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process that should talk to this stack (api, worker, CLI)."""
        return {**EMULATOR_CREDENTIALS, **self.settings.to_env()}

    def add_worker(
        self,
        *,
        quiet: bool = True,
        extra_env: dict[str, str] | None = None,
        log_path: Path | None = None,
        **overrides: object,
    ) -> Service:
        env = self.env
        env.update({f"IMGPIPE_{k.upper()}": str(v) for k, v in overrides.items()})
        env.update(extra_env or {})
        worker = start_worker(env, quiet=quiet, name=f"worker-{len(self.workers) + 1}", log_path=log_path)
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        """Workers first (they drain), then the API, then the emulator."""
        for worker in self.workers:
            worker.stop()
        if self.api is not None:
            self.api.stop()
        self.moto.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start_local_stack(
    settings: Settings | None = None,
    *,
    api_port: int | None = None,
    moto_port: int | None = None,
    workers: int = 1,
    quiet: bool = True,
) -> LocalStack:
    for name, value in EMULATOR_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    moto = start_moto(moto_port)  # its per-request log is noise even in dev
    base = settings or Settings()
    local: dict[str, object] = {"aws_endpoint_url": moto.url, "environment": "local"}
    if "queue_wait_seconds" not in base.model_fields_set:
        # A short long-poll so Ctrl-C and test teardown stop workers in about a second (production keeps 20 s).
        local["queue_wait_seconds"] = 1
    settings = base.model_copy(update=local)
    try:
        stack = LocalStack(settings=settings, moto=moto, provisioned=provision(AwsClients(settings)))
    except BaseException:
        moto.stop()
        raise
    try:
        stack.api = start_api(stack.env, api_port, quiet=quiet)
        for _ in range(workers):
            stack.add_worker(quiet=quiet)
    except BaseException:
        stack.stop()  # never leave half a stack running
        raise
    return stack
