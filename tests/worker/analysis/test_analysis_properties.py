"""Image properties computed from pixels (both engines fall back to or use them), and the shared models."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFilter

from core.analysis import BoundingBox, DominantColor
from harness.images import photo
from worker.analysis.properties import pixel_properties, simplified_color


def test_brightness_and_contrast_of_flat_and_split_images() -> None:
    white = pixel_properties(Image.new("RGB", (200, 100), "white"), 5).quality
    black = pixel_properties(Image.new("L", (200, 100), 0), 5).quality
    assert (white.brightness, white.contrast, white.sharpness) == (100, 0, 0)
    assert (black.brightness, black.contrast) == (0, 0)

    split = Image.new("RGB", (200, 100), "black")
    split.paste((255, 255, 255), (100, 0, 200, 100))
    quality = pixel_properties(split, 5).quality
    assert quality.brightness == pytest.approx(50, abs=0.5)
    assert quality.contrast == pytest.approx(100, abs=0.5)


def test_sharpness_falls_with_blur() -> None:
    image = photo(640, 480)
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 40):
        draw.line((x, 0, x, 480), fill="black", width=2)
    sharp = pixel_properties(image, 3).quality.sharpness
    blurred = pixel_properties(image.filter(ImageFilter.GaussianBlur(4)), 3).quality.sharpness
    assert sharp is not None and blurred is not None
    assert sharp > 60 and blurred < sharp / 2


def test_dominant_colours_with_shares() -> None:
    image = Image.new("RGB", (100, 100), (220, 20, 30))
    image.paste((20, 40, 200), (0, 0, 100, 25))
    colors = pixel_properties(image, 5).dominant_colors
    assert [(c.simplified_color, round(c.pixel_percent)) for c in colors[:2]] == [("red", 75), ("blue", 25)]
    assert colors[0].hex == "#dc141e"
    assert sum(c.pixel_percent for c in colors) == pytest.approx(100, abs=0.1)


def test_transparent_pixels_count_as_white() -> None:
    colors = pixel_properties(Image.new("RGBA", (50, 50), (0, 0, 0, 0)), 5).dominant_colors
    assert colors[0].hex == "#ffffff" and colors[0].pixel_percent == 100


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((0, 0, 0), "black"),
        ((255, 255, 255), "white"),
        ((128, 128, 128), "grey"),
        ((230, 20, 20), "red"),
        ((250, 150, 20), "orange"),
        ((240, 230, 40), "yellow"),
        ((30, 160, 60), "green"),
        ((30, 60, 220), "blue"),
        ((130, 40, 200), "purple"),
        ((240, 100, 200), "pink"),
        ((120, 70, 30), "brown"),
    ],
)
def test_simplified_colour_names(rgb: tuple[int, int, int], name: str) -> None:
    assert simplified_color(*rgb) == name


def test_boxes_are_clamped_ratios() -> None:
    assert BoundingBox.from_ratios(-0.1, 0.9, 0.5, 0.3).model_dump() == {
        "left": 0,
        "top": 0.9,
        "width": 0.4,
        "height": 0.1,
    }
    box = BoundingBox.from_points([(10, 20), (110, 22), (110, 60), (10, 58)], 200, 100)
    assert box.model_dump() == {"left": 0.05, "top": 0.2, "width": 0.5, "height": 0.4}


def test_dominant_colour_hex_is_derived() -> None:
    assert DominantColor.of((1, 2, 255), 12.345).model_dump() == {
        "red": 1,
        "green": 2,
        "blue": 255,
        "hex": "#0102ff",
        "simplified_color": None,
        "css_color": None,
        "pixel_percent": 12.35,
    }
