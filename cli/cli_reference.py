"""The CLI reference: README.md's list of every `imgpipe` command and option, generated from the click commands
themselves (`imgpipe cli-reference --write README.md`), so no option goes undocumented; a test fails on drift."""

from __future__ import annotations

import click

from core.config_reference import splice

START_MARKER = "<!-- cli-reference:start -->"
END_MARKER = "<!-- cli-reference:end -->"
MARKERS = (START_MARKER, END_MARKER)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option(param: click.Option, ctx: click.Context) -> str:
    names = " / ".join(", ".join(f"`{o}`" for o in opts) for opts in (param.opts, param.secondary_opts) if opts)
    if not param.is_flag and not param.count:
        names += f" {param.make_metavar(ctx)}"
    return names


def _meaning(param: click.Option) -> str:
    meaning = param.help or ""
    if param.show_default and param.default is not None and not param.is_flag:
        meaning += f" Default: `{param.default}`."
    envvar = param.envvar if isinstance(param.envvar, str) else None
    if envvar and envvar not in meaning:
        meaning += f" Env: `{envvar}`."
    return _cell(meaning)


def _commands(group: click.Group, ctx: click.Context) -> list[tuple[str, click.Command, click.Context]]:
    found = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        if isinstance(command, click.Group):
            found += [(f"{name} {n}", c, s) for n, c, s in _commands(command, sub)]
        else:
            found.append((name, command, sub))
    return found


def render_cli_reference(cli: click.Group) -> str:
    """A section per command: its usage, the first paragraph of its help, a row per option."""
    root = click.Context(cli, info_name="imgpipe")
    parts = []
    for name, command, ctx in _commands(cli, root):
        arguments = " ".join(p.make_metavar(ctx) for p in command.params if isinstance(p, click.Argument))
        summary = _cell((command.help or "").split("\n\n")[0])
        lines = [f"**`imgpipe {name}{' ' + arguments if arguments else ''}`**: {summary}\n"]
        options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
        if options:
            lines += ["\n| option | meaning |\n", "|---|---|\n"]
            lines += [f"| {_option(p, ctx)} | {_meaning(p)} |\n" for p in options]
        parts.append("".join(lines))
    return "\n".join(parts)


def splice_cli_reference(document: str, reference: str) -> str:
    return splice(document, reference, MARKERS)
