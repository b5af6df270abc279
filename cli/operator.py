"""Which stack an operator command (`imgpipe dlq`, `imgpipe keys`) talks to, and its failures as sentences.

`imgpipe dev` writes `.imgpipe/local-stack.json` in its working directory while the stack runs (the emulator's URL
and the stack's settings) and removes it when it stops. An operator command uses the deployment of the IMGPIPE_*
settings and AWS credentials of its environment; with `--local`, or when there are neither an endpoint nor
credentials, it uses the local stack of that file. It says on stderr which one, and when the stack cannot be used
it prints why and exits EXIT_API_ERROR: never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import click
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from core.aws import AwsClients
from core.config import Settings

STATE_FILE = Path(".imgpipe") / "local-stack.json"
EXIT_API_ERROR = 3  # as cli/jobs.py: the API or storage could not be used


class StackUnavailableError(Exception):
    """No stack to talk to, or it does not answer: the message says what to do."""


@dataclass(frozen=True)
class Target:
    settings: Settings
    description: str  # what the command says it talks to


def write_state(settings: Settings, *, api_url: str | None, path: Path = STATE_FILE) -> None:
    """Record the running local stack for operator commands started from this directory."""
    path.parent.mkdir(exist_ok=True)
    state = {"pid": os.getpid(), "api_url": api_url, "settings": settings.model_dump(mode="json")}
    path.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


def remove_state(path: Path = STATE_FILE) -> None:
    path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def local_target(path: Path = STATE_FILE) -> Target:
    """The local stack `imgpipe dev` recorded in `path`, if it is still running."""
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackUnavailableError(
            f"no local stack is running here ({path} does not exist): start it with `make dev` in this directory"
        ) from None
    except (OSError, ValueError) as exc:
        raise StackUnavailableError(f"cannot read {path} ({exc}): restart the local stack with `make dev`") from None
    if not _alive(int(state.get("pid", 0))):
        raise StackUnavailableError(
            f"the local stack recorded in {path} has stopped (its process {state.get('pid')} is gone): "
            "start it again with `make dev`"
        )
    settings = Settings(**state["settings"])
    return Target(settings, f"the local stack (emulator {settings.aws_endpoint_url}, recorded in {path})")


def _have_credentials() -> bool:
    return botocore.session.get_session().get_credentials() is not None


def resolve(local: bool, *, path: Path = STATE_FILE) -> Target:
    """`--local`: the local stack. Otherwise the environment's deployment, unless it has neither an endpoint nor
    credentials: then the local stack, if one is running."""
    settings = Settings()
    if not local and (settings.aws_endpoint_url or _have_credentials()):
        where = f"the emulator at {settings.aws_endpoint_url}" if settings.aws_endpoint_url else "AWS"
        return Target(settings, f"{where} (region {settings.aws_region}, from the IMGPIPE_* settings)")
    try:
        return local_target(path)
    except StackUnavailableError as exc:
        if local:
            raise
        raise StackUnavailableError(
            f"no AWS credentials and no IMGPIPE_AWS_ENDPOINT_URL are set, and {exc}. For a deployment, set AWS "
            "credentials (e.g. AWS_PROFILE) and its IMGPIPE_* settings."
        ) from None


def _sentence(exc: Exception, target: Target) -> str:
    if isinstance(exc, NoCredentialsError):
        return f"no AWS credentials for {target.description}: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or use --local"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{target.description} refused the request: {error.get('Code')}: {error.get('Message')}"
    if target.settings.aws_endpoint_url:
        return f"cannot reach {target.description} ({exc}): is `make dev` still running?"
    return f"cannot use {target.description}: {exc}"


@contextmanager
def operator_clients(local: bool) -> Iterator[AwsClients]:
    """AWS clients for the stack the command should use; says which on stderr. When the stack cannot be used, prints
    why and exits EXIT_API_ERROR."""
    try:
        target = resolve(local)
    except StackUnavailableError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    click.secho(f"using {target.description}", fg="bright_black", err=True)
    try:
        yield AwsClients(target.settings)
    except (BotoCoreError, ClientError) as exc:
        click.secho(_sentence(exc, target), fg="red", err=True)
        sys.exit(EXIT_API_ERROR)


def local_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--local",
        is_flag=True,
        help=f"Use the local stack `make dev` runs (recorded in {STATE_FILE} of its directory), whatever the "
        "environment says. Without it: the IMGPIPE_* settings and AWS credentials, or the local stack when there "
        "are none.",
    )(func)
