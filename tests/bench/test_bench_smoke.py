"""The benchmarks stay runnable: bench scripts in their --quick mode print their tables (no timing is asserted)."""

from __future__ import annotations

import ast
import os

import pytest

from tests.bench.scripts import ROOT, run_bench


def test_memory_bench_quick_prints_its_table() -> None:
    stdout = run_bench("bench/memory.py", "--quick", timeout=120)
    lines = stdout.splitlines()
    assert any(line.startswith("| input ") and "peak RSS MiB" in line for line in lines), stdout
    row = next(line for line in lines if line.startswith("| 12 MP JPEG 4000x3000 | product "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[7]) > 0 and cells[-1] == "-"  # a peak RSS was measured, and the stage raised nothing


def test_the_benchmarks_import_nothing_from_tests() -> None:
    """bench/ runs without the test suite: what both use lives in harness/."""
    offenders = []
    for script in sorted((ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{script.name}: {m}" for m in modules if m == "tests" or m.startswith("tests.")]
    assert offenders == []


def test_e2e_pinned_quick_prints_its_tables() -> None:
    """`bench/e2e.py --pinned --quick`: the worker on CPU 1 vs the stage alone on CPU 1 (figures not asserted)."""
    if not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip(f"--pinned needs CPUs 0 and 1; this process may use {sorted(os.sched_getaffinity(0))}")
    stdout = run_bench("bench/e2e.py", "--pinned", "--quick", timeout=600)
    lines = stdout.splitlines()
    assert any(line.startswith("| CPU 1: worker vs stage ") and "x stage rate" in line for line in lines), stdout
    for case in ("1 MP JPEG", "12 MP JPEG", "12 MP PNG"):
        for row in (f"| {case}, image stage alone ", f"| {case}, worker in the stack "):
            assert any(line.startswith(row) for line in lines), (row, stdout)


def test_ocr_accuracy_bench_prints_its_tables() -> None:
    """`bench/ocr_accuracy.py` on a few images: the summary row per model pair and set, and a row per condition."""
    pytest.importorskip("rapidocr", reason="the local OCR engine needs the `ocr` extra")
    stdout = run_bench(
        "bench/ocr_accuracy.py", "--clean", "2", "--photo", "3", "--repeat", "1", "--models", "tiny/small", timeout=300
    )
    lines = stdout.splitlines()
    assert any(line.startswith("| tiny/small | photo-like | ") for line in lines), stdout
    assert any(line.startswith("| tiny/small | clean | ") for line in lines), stdout
    assert any(line.startswith("| JPEG quality | ") for line in lines), stdout
