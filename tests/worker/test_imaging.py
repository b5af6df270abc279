"""The shared Pillow helpers: one orientation table for sizes and pixels, one way to drop transparency."""

from __future__ import annotations

import pytest
from PIL import Image, ImageOps

from worker.imaging import flatten_on_white, normalize_mode, to_rgb, upright, upright_size


@pytest.mark.parametrize("orientation", [None, *range(1, 9)])
def test_upright_matches_pillow_and_the_reported_size(orientation: int | None) -> None:
    stored = Image.linear_gradient("L").resize((40, 30))
    tagged = stored.copy()
    if orientation is not None:
        tagged.getexif()[0x0112] = orientation
        tagged.info["exif"] = tagged.getexif().tobytes()
    turned = upright(stored, orientation)
    assert turned.tobytes() == ImageOps.exif_transpose(tagged).tobytes()
    assert turned.size == upright_size(stored.size, orientation)


def test_transparency_goes_onto_white_and_grey_stays_grey() -> None:
    clear = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert flatten_on_white(clear).getpixel((0, 0)) == (255, 255, 255)
    assert flatten_on_white(Image.new("L", (4, 4), 7)).mode == "L"
    assert to_rgb(Image.new("LA", (4, 4), (0, 0))).getpixel((0, 0)) == (255, 255, 255)
    assert to_rgb(Image.new("L", (4, 4), 7)).getpixel((0, 0)) == (7, 7, 7)


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    assert normalize_mode(Image.new("I;16", (2, 2), 0x8000)).getpixel((0, 0)) == 128
