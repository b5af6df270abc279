"""Issue 13.6: extreme aspect ratios stay within the memory an ordinary image's local OCR step needs.

Each figure is the peak RSS the OCR step adds to a warm engine, measured in a fresh process by bench/memory.py's
own child (VmHWM reset just before the step). Before the fix a 101-byte 20000x1 PNG added ~700 MiB there (rapidocr
scaled the 1024x1 input's short side up to 30 px and padded the result to 30720x7680); ordinary photos add ~70-80.
"""

from __future__ import annotations

import pytest

from bench.memory import MiB, measure_ocr

pytest.importorskip("rapidocr", reason="the local OCR engine needs the `ocr` extra (rapidocr, onnxruntime)")

# Clear margin both ways: an ordinary image's OCR step adds ~70-80 MiB, the unbounded strip ~700 MiB.
BOUND = 200 * MiB


def test_an_ordinary_image_fits_the_bound() -> None:
    result = measure_ocr("1 MP JPEG 1155x866 (ordinary)")
    assert result["skipped_reason"] is None  # OCR really ran
    assert int(result["added"]) < BOUND  # type: ignore[call-overload]


@pytest.mark.parametrize("name", ["20000x1 PNG", "1x20000 PNG"])
def test_a_one_pixel_strip_stays_within_the_bound(name: str) -> None:
    result = measure_ocr(name)
    assert int(result["added"]) < BOUND, f"{name}: the OCR step added {int(result['added']) / MiB:.0f} MiB"  # type: ignore[call-overload]
    assert str(result["skipped_reason"]).startswith("image_too_thin:")
