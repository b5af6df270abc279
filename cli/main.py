"""The `imgpipe` command: run the services, the local stack, and submit images.

Exit codes: 0 success; 1 a job failed or expired; 2 wrong usage; 3 the API or storage could not be used
(unreachable, bad API key, request refused).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from core.config import Settings, get_settings

EXIT_JOB_FAILED = 1
EXIT_API_ERROR = 3


@click.group()
def cli() -> None:
    """imgpipe: upload images, get thumbnails, metadata and text back."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
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


@cli.command()
@click.option("--port", default=8000, show_default=True, type=int, help="API port on 127.0.0.1.")
@click.option("--moto-port", default=5000, show_default=True, type=int, help="Emulator port on 127.0.0.1.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes to run.")
def dev(port: int, moto_port: int, workers: int) -> None:
    """Run the whole pipeline locally on an embedded AWS emulator (moto) until Ctrl-C."""
    from cli.stack import start_local_stack

    click.echo("starting moto, provisioning, starting the API and workers...")
    stack = start_local_stack(Settings(), api_port=port, moto_port=moto_port, workers=workers, quiet=False)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    assert stack.api is not None
    key = stack.settings.api_keys[0].get_secret_value()
    click.secho(
        "\n".join(
            [
                "",
                "imgpipe local stack is up",
                f"  Swagger UI : {stack.api.url}/docs",
                f"  API        : {stack.api.url}",
                f"  API key    : {key}",
                f"  emulator   : {stack.moto.url}",
                f"  try        : imgpipe submit --api {stack.api.url} --api-key {key} --wait photo.jpg",
                "Ctrl-C stops everything.",
                "",
            ]
        ),
        fg="green",
    )
    try:
        while not stopping.wait(0.5):
            dead = [s.name for s in [stack.moto, stack.api, *stack.workers] if not s.alive()]
            if dead:
                click.secho(f"{', '.join(dead)} exited; stopping the stack", fg="red", err=True)
                break
    finally:
        click.echo("stopping...")
        stack.stop()


def _client_options(func: Any) -> Any:
    func = click.option(
        "--api", "api_url", envvar="IMGPIPE_API_URL", default="http://127.0.0.1:8000", show_default=True
    )(func)
    return click.option("--api-key", envvar="IMGPIPE_API_KEY", default="imgpipe-local-dev-key", show_default=True)(func)


def _describe(job: dict[str, Any]) -> str:
    status = job["status"]
    if status == "completed" and job.get("result"):
        meta = job["result"]["metadata"]
        outputs = ", ".join(o["name"] for o in job["result"]["outputs"])
        return f"completed  {meta['format']} {meta['width']}x{meta['height']}  outputs: {outputs}"
    if job.get("error"):
        return f"{status}  {job['error']['code']}: {job['error']['message']}"
    return str(status)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--wait/--no-wait", default=False, help="Wait until every job ends and print the outcome.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait per job with --wait.")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON (for scripts).")
@_client_options
def submit(files: tuple[Path, ...], wait: bool, timeout: float, as_json: bool, api_url: str, api_key: str) -> None:
    """Create a job per FILE and upload it; with --wait, follow each job to its end."""
    from cli.client import ApiClient, ApiError, guess_content_type, upload

    client = ApiClient(api_url, api_key)
    jobs: list[dict[str, Any]] = []
    failed = False
    try:
        for path in files:
            content_type = guess_content_type(path)
            try:
                created = client.create_job(path, content_type)
                upload(created["upload"], path, content_type)
            except ApiError as exc:
                click.secho(f"{path}: {exc.code}: {exc.message}", fg="red", err=True)
                if exc.code in ("api_unreachable", "invalid_api_key", "missing_api_key"):
                    sys.exit(EXIT_API_ERROR)
                failed = True
                continue
            if not as_json:
                click.echo(f"{path}: job {created['job_id']} uploaded")
            jobs.append({"file": str(path), "job_id": created["job_id"], "status": created["status"]})
        if wait:
            for entry in jobs:

                def show(job: dict[str, Any], name: str = entry["file"]) -> None:
                    if not as_json:
                        click.echo(f"{name}: {job['status']}")

                job = client.wait(entry["job_id"], timeout=timeout, on_status=show)
                entry.update(status=job["status"], job=job)
                failed |= job["status"] != "completed"
                if not as_json:
                    colour = "green" if job["status"] == "completed" else "red"
                    click.secho(f"{entry['file']}: {_describe(job)}", fg=colour)
    except ApiError as exc:
        click.secho(f"{exc.code}: {exc.message}", fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(jobs, indent=2))
    sys.exit(EXIT_JOB_FAILED if failed else 0)


@cli.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@_client_options
def status(job_id: str, as_json: bool, api_url: str, api_key: str) -> None:
    """Show one job's status and results."""
    from cli.client import ApiClient, ApiError

    client = ApiClient(api_url, api_key)
    try:
        job = client.get_job(job_id)
    except ApiError as exc:
        click.secho(f"{exc.code}: {exc.message}", fg="red", err=True)
        sys.exit(EXIT_API_ERROR)
    finally:
        client.close()
    click.echo(json.dumps(job, indent=2) if as_json else f"{job_id}: {_describe(job)}")
    sys.exit(EXIT_JOB_FAILED if job["status"] in ("failed", "expired") else 0)


def _register_subgroups() -> None:
    from cli.dlq import dlq

    cli.add_command(dlq)


_register_subgroups()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
