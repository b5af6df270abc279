"""`imgpipe error-reference`: print README.md's error tables, or update or check them (core/error_reference.py).

The same contract as `imgpipe config-reference`: no option prints the tables, `--write FILE` updates the block
between the markers, `--check FILE` exits 1 when it is stale; a file without the markers is a usage error (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.error_reference import render_errors, splice_errors

EXIT_STALE = 1


@click.command("error-reference")
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), help="Update this file.")
@click.option("--check", "check_file", type=click.Path(dir_okay=False, path_type=Path), help="Exit 1 if stale.")
def error_reference(write_to: Path | None, check_file: Path | None) -> None:
    """Print the error tables (every HTTP error code and job failure code), or update them in README.md.

    The tables go between the `error-reference:start` and `:end` markers of the file.
    """
    tables = render_errors()
    if write_to is None and check_file is None:
        click.echo(tables, nl=False)
        return
    target = write_to or check_file
    assert target is not None
    current = target.read_text(encoding="utf-8")
    try:
        updated = splice_errors(current, tables)
    except ValueError as exc:
        raise click.UsageError(f"{target}: {exc}") from None
    if check_file is not None:
        if updated != current:
            click.secho(
                f"{target}: the error reference is stale; run `imgpipe error-reference --write {target}`",
                fg="red",
                err=True,
            )
            sys.exit(EXIT_STALE)
        click.echo(f"{target}: the error reference is up to date")
        return
    target.write_text(updated, encoding="utf-8")
    click.echo(f"{target}: error reference {'updated' if updated != current else 'already up to date'}")
