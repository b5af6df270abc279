"""The `imgpipe` command: the group, and the operator commands that run the services and the local stack.

`submit` and `status` (and the exit codes) are in cli/jobs.py, what they print in cli/report.py; `dlq` and
`healthcheck` have modules of their own.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import click

from cli.jobs import EPILOG, delete, jobs, status, submit
from core.config import Settings, get_settings


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
def cli() -> None:
    """imgpipe: upload images, get thumbnails, metadata and text back."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def api(host: str, port: int) -> None:
    """Run the HTTP API (uvicorn)."""
    import uvicorn

    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_config=None, proxy_headers=True)


@cli.command()
def worker() -> None:
    """Run a worker: long-poll the queue and process uploads until SIGTERM/SIGINT."""
    from worker.main import run

    sys.exit(run(get_settings()))


@cli.command()
def provision() -> None:
    """Create every resource on the emulator at IMGPIPE_AWS_ENDPOINT_URL (idempotent)."""
    from core.aws import AwsClients
    from core.provision import provision as create_resources

    settings = get_settings()
    if not settings.aws_endpoint_url:
        raise click.UsageError(
            "provision is for emulators: set IMGPIPE_AWS_ENDPOINT_URL (Terraform creates AWS resources)"
        )
    done = create_resources(AwsClients(settings))
    click.echo(json.dumps(done.__dict__, indent=2))


def _ocr_installed(settings: Settings) -> bool:
    from worker.analysis.local import OcrUnavailableError, check_available

    try:
        check_available(settings)  # the worker's own start-up check: it imports and loads nothing
    except OcrUnavailableError:
        return False
    return True


def _dev_settings() -> Settings:
    """Settings from the environment. Text analysis defaults to the offline OCR engine (`local`); when nobody chose
    and the `ocr` extra is missing it is turned off, so the stack still starts (the banner says how to get it)."""
    settings = Settings()
    if "analysis_engine" not in settings.model_fields_set and not _ocr_installed(settings):
        settings = settings.model_copy(update={"analysis_engine": "off"})
    return settings


def _engine_note(settings: Settings) -> str:
    if settings.analysis_engine == "off":
        return "off (offline OCR: pip install -e '.[ocr]', or set IMGPIPE_ANALYSIS_ENGINE)"
    return settings.analysis_engine


@cli.command()
@click.option("--port", default=8000, show_default=True, type=int, help="API port on 127.0.0.1.")
@click.option("--moto-port", default=5000, show_default=True, type=int, help="Emulator port on 127.0.0.1.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes to run.")
def dev(port: int, moto_port: int, workers: int) -> None:
    """Run the whole pipeline locally on an embedded AWS emulator (moto) until Ctrl-C."""
    from cli.banner import banner
    from cli.operator import remove_state, write_state
    from cli.processes import PortInUseError
    from cli.stack import start_local_stack

    settings = _dev_settings()
    click.echo("starting moto, provisioning, starting the API and workers...")
    try:
        stack = start_local_stack(settings, api_port=port, moto_port=moto_port, workers=workers, quiet=False)
    except PortInUseError as exc:
        raise click.ClickException(f"{exc}: stop it, or choose other ports with --port / --moto-port") from None
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    assert stack.api is not None and stack.api.url is not None
    write_state(stack.settings, api_url=stack.api.url)
    click.secho(banner(stack.api.url, stack.moto.url or "", _engine_note(stack.settings)), fg="green")
    try:
        while not stopping.wait(0.5):
            dead = [s.name for s in [stack.moto, stack.api, *stack.workers] if not s.alive()]
            if dead:
                click.secho(f"{', '.join(dead)} exited; stopping the stack", fg="red", err=True)
                break
    finally:
        click.echo("stopping...")
        remove_state()
        stack.stop()


@cli.command("config-reference")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), help="Update this file.")
@click.option("--check", "check_file", type=click.Path(dir_okay=False, path_type=Path), help="Exit 1 if stale.")
def config_reference(write_to: Path | None, check_file: Path | None) -> None:
    """Print the settings reference (every IMGPIPE_* variable), or update it in README.md.

    The table goes between the `config-reference:start` and `:end` markers of the file.
    """
    from core.config_reference import render_reference, splice

    table = render_reference()
    if write_to is None and check_file is None:
        click.echo(table, nl=False)
        return
    target = write_to or check_file
    assert target is not None
    current = target.read_text(encoding="utf-8")
    try:
        updated = splice(current, table)
    except ValueError as exc:
        raise click.UsageError(f"{target}: {exc}") from None
    if check_file is not None:
        if updated != current:
            click.secho(
                f"{target}: the configuration reference is stale; run `imgpipe config-reference --write {target}`",
                fg="red",
                err=True,
            )
            sys.exit(1)  # as a failed check does
        click.echo(f"{target}: the configuration reference is up to date")
        return
    target.write_text(updated, encoding="utf-8")
    click.echo(f"{target}: configuration reference {'updated' if updated != current else 'already up to date'}")


def _register_subgroups() -> None:
    from cli.dlq import dlq
    from cli.healthcheck import healthcheck
    from cli.keys import keys
    from cli.references import cli_reference, error_reference
    from cli.webhooks import webhooks

    for command in (submit, status, jobs, delete, dlq, healthcheck, error_reference, cli_reference, keys, webhooks):
        cli.add_command(command)


_register_subgroups()


def main() -> None:
    from cli.entry import main as entry

    entry()


if __name__ == "__main__":
    main()
