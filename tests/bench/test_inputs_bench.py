"""bench/inputs.py (stage CPU per upload format, the fingerprints' cost) stays runnable: its --quick mode prints both
tables with a row per format (no timing is asserted)."""

from __future__ import annotations

from tests.bench.scripts import run_bench


def test_inputs_bench_quick_prints_a_row_per_format() -> None:
    stdout = run_bench("bench/inputs.py", "--quick", timeout=240)
    rows = {line.split("|")[1].strip() for line in stdout.splitlines() if line.startswith("| ")}
    assert {"JPEG", "HEIF", "AVIF", "WEBP", "TIFF", "PNG", "sha256 of the upload", "dHash + BlurHash"} <= rows
