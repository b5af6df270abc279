"""Headless Chromium (Debian's `chromium` package) driven by Playwright, for tests of the pages people open.

No browser is downloaded: Playwright launches the system Chromium given by IMGPIPE_CHROMIUM or found on PATH.
Tests that need it skip, saying why, when Playwright is missing or Chromium cannot start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# The machine has no network but the package registries: keep Chromium from calling home. --no-sandbox because
# CI runs as root, where Chromium refuses its sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    configured = os.environ.get("IMGPIPE_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    executable = _chromium_path()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium, or set IMGPIPE_CHROMIUM to its path")
    manager = sync_api.sync_playwright().start()
    try:
        try:
            browser = manager.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000)
        except Exception as exc:  # any launch failure means: no browser on this machine
            pytest.skip(f"Chromium at {executable} cannot start: {str(exc).splitlines()[0]}")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own context: no storage shared between tests) that fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
