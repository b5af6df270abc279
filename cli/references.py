"""`imgpipe error-reference` and `imgpipe cli-reference`: print README.md's error tables (core/error_reference.py)
or its list of commands and options (cli/cli_reference.py), or update or check them.

The same contract as `imgpipe config-reference`: no option prints the reference, `--write FILE` updates the block
between the markers, `--check FILE` exits 1 when it is stale; a file without the markers is a usage error (exit 2).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from core.error_reference import render_errors, splice_errors

EXIT_STALE = 1


def _apply(
    rendered: str, splice: Callable[[str, str], str], what: str, command: str, write_to: Path | None, check: Path | None
) -> None:
    if write_to is None and check is None:
        click.echo(rendered, nl=False)
        return
    target = write_to or check
    assert target is not None
    current = target.read_text(encoding="utf-8")
    try:
        updated = splice(current, rendered)
    except ValueError as exc:
        raise click.UsageError(f"{target}: {exc}") from None
    if check is not None:
        if updated != current:
            click.secho(f"{target}: the {what} is stale; run `imgpipe {command} --write {target}`", fg="red", err=True)
            sys.exit(EXIT_STALE)
        click.echo(f"{target}: the {what} is up to date")
        return
    target.write_text(updated, encoding="utf-8")
    click.echo(f"{target}: {what} {'updated' if updated != current else 'already up to date'}")


_write = click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), help="Update this file.")
_check = click.option("--check", "check_file", type=click.Path(dir_okay=False, path_type=Path), help="Exit 1 if stale.")


@click.command("error-reference")
@_write
@_check
def error_reference(write_to: Path | None, check_file: Path | None) -> None:
    """Print the error tables (every HTTP error code and job failure code), or update them in README.md.

    The tables go between the `error-reference:start` and `:end` markers of the file.
    """
    _apply(render_errors(), splice_errors, "error reference", "error-reference", write_to, check_file)


@click.command("cli-reference")
@_write
@_check
def cli_reference(write_to: Path | None, check_file: Path | None) -> None:
    """Print every command and option of imgpipe, or update the list in README.md.

    The list goes between the `cli-reference:start` and `:end` markers of the file.
    """
    from cli.cli_reference import render_cli_reference, splice_cli_reference
    from cli.main import cli

    rendered = render_cli_reference(cli)
    _apply(rendered, splice_cli_reference, "CLI reference", "cli-reference", write_to, check_file)
