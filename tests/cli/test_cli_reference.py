"""README.md lists every `imgpipe` command and option, generated from the commands, and must not drift from them."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from cli.cli_reference import END_MARKER, START_MARKER, render_cli_reference, splice_cli_reference
from cli.main import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _options(group: click.Group, ctx: click.Context) -> list[str]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        sub = click.Context(command, info_name=name, parent=ctx)
        if isinstance(command, click.Group):
            found += _options(command, sub)
        else:
            found += [o for p in command.params if isinstance(p, click.Option) for o in p.opts + p.secondary_opts]
    return found


def test_readme_lists_every_command_and_option() -> None:
    current = README.read_text(encoding="utf-8")
    assert splice_cli_reference(current, render_cli_reference(cli)) == current, (
        "README.md's CLI reference is stale: run `imgpipe cli-reference --write README.md`"
    )
    block = current.split(START_MARKER)[1].split(END_MARKER)[0]
    for option in set(_options(cli, click.Context(cli, info_name="imgpipe"))) - {"--help", "-h"}:
        assert f"`{option}`" in block, option
    for command in ("submit", "status", "dlq list", "dlq redrive", "keys create", "dev", "worker"):
        assert f"**`imgpipe {command}" in block


def test_the_command_writes_and_checks(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(f"# title\n\n{START_MARKER}\nold\n{END_MARKER}\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["cli-reference", "--check", str(doc)]).exit_code == 1
    assert runner.invoke(cli, ["cli-reference", "--write", str(doc)]).exit_code == 0
    assert "`--moto-port` INTEGER" in doc.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["cli-reference", "--check", str(doc)]).exit_code == 0
