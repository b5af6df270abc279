"""bench/inputs.py (stage CPU per upload format, the fingerprints' cost) stays runnable: its --quick mode prints both
tables with a row per format (no timing is asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_inputs_bench_quick_prints_a_row_per_format() -> None:
    result = subprocess.run(
        [sys.executable, "bench/inputs.py", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split("|")[1].strip() for line in result.stdout.splitlines() if line.startswith("| ")}
    assert {"JPEG", "HEIF", "AVIF", "WEBP", "TIFF", "PNG", "sha256 of the upload", "dHash + BlurHash"} <= rows
