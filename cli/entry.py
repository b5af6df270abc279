"""The `imgpipe` console script. Ctrl-C at any moment, even while the command's modules are still being imported,
ends it with a line and exit 130 (128 + SIGINT, as shells report it), never a traceback or click's "Aborted!"."""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        import click

        from cli.main import cli

        try:
            # Not standalone: click would turn Ctrl-C into "Aborted!" and exit 1. What it would print and exit with
            # otherwise is done here the same way.
            code = cli.main(prog_name="imgpipe", standalone_mode=False)
        except click.exceptions.Abort:
            raise KeyboardInterrupt from None
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
