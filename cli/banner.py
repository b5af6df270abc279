"""What `imgpipe dev` prints once the local stack is up: where everything is, and a first command that works as
printed (the `imgpipe` of this install, a sample image shipped in `samples/`)."""

from __future__ import annotations

from pathlib import Path

from cli.invocation import api_option, imgpipe_command, shown_path
from cli.operator import STATE_FILE
from core.api_keys import LOCAL_DEV_API_KEY

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def try_command(api_url: str) -> str:
    return f"{imgpipe_command()} submit{api_option(api_url)} --wait {shown_path(SAMPLES / 'receipt.png')}"


def banner(api_url: str, emulator_url: str, engine: str) -> str:
    imgpipe = imgpipe_command()
    return "\n".join(
        [
            "",
            "imgpipe local stack is up",
            f"  Results page : {api_url}/ui        (drop an image, see thumbnails and text)",
            f"  Swagger UI   : {api_url}/docs      (Authorize with the key below)",
            f"  API          : {api_url}",
            f"  API key      : {LOCAL_DEV_API_KEY}",
            f"  emulator     : {emulator_url}  (state in memory: a restart forgets every job and upload)",
            f"  text engine  : {engine}",
            f"  try          : {try_command(api_url)}",
            f"  operator     : {imgpipe} dlq list, {imgpipe} keys list  (they find this stack via {STATE_FILE})",
            "Ctrl-C stops everything.",
            "",
        ]
    )
