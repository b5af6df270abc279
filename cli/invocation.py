"""How a user runs this install's `imgpipe` again: the command to print in hints and banners, so that it works as
printed (the console script of a virtualenv is not on PATH), and the API URL it talks to by default."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DEFAULT_API_URL = "http://127.0.0.1:8000"


def shown_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path.absolute())


def imgpipe_command() -> str:
    """This install's `imgpipe` as the working directory reaches it: bare only when PATH finds this very one."""
    ours = Path(sys.executable).parent / "imgpipe"
    if not ours.exists():
        return f"{sys.executable} -m cli.main"
    found = shutil.which("imgpipe")
    if found and Path(found).resolve() == ours.resolve():
        return "imgpipe"
    shown = shown_path(ours)
    return shown if os.sep in shown else f".{os.sep}{shown}"


def api_option(api_url: str) -> str:
    """` --api URL` when the URL is not the default one, for commands printed to be run later."""
    return "" if api_url.rstrip("/") == DEFAULT_API_URL else f" --api {api_url.rstrip('/')}"


def status_command(job_id: str, api_url: str, *, wait: bool = False) -> str:
    return f"{imgpipe_command()} status{api_option(api_url)}{' --wait' if wait else ''} {job_id}"
