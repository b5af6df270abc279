"""The fast thumbnail path: same sizes as Pillow's thumbnail(), banded reduction equal to a whole-image resize,
no colour bleeding from transparent pixels, outputs close to the naive full-image LANCZOS resize."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from core.config import Settings
from harness.images import encode, jpeg, photo
from worker.imaging import normalize_mode
from worker.stages import thumbnails
from worker.stages.image import process_image
from worker.stages.renditions import render_recipe
from worker.stages.thumbnails import fitted_size

SETTINGS = Settings()

SIZES = [
    (4000, 3000),
    (3000, 4000),
    (1000, 1000),
    (1025, 1024),
    (1023, 1024),
    (4032, 3024),
    (1920, 1080),
    (1081, 1920),
    (10000, 3),
    (3, 10000),
    (999, 1001),
    (4001, 2999),
    (100, 50),
    (7, 5000),
]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("longest", [1024, 512, 128, 1])
def test_fitted_size_is_what_thumbnail_picks(size: tuple[int, int], longest: int) -> None:
    reference = Image.new("L", size)
    reference.thumbnail((longest, longest))
    assert fitted_size(size, longest) == reference.size


def _largest(source: Image.Image) -> Image.Image:
    """The largest full-frame image the default recipe is made from (also what the analysis sees)."""
    return render_recipe(source, None, SETTINGS.recipes["default"], analysis_side=1024)[1]


def _whole_image(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """What the banded first step must equal: one mode conversion and one resize of the whole image."""
    return normalize_mode(image).resize(target, Image.Resampling.LANCZOS, reducing_gap=thumbnails._REDUCING_GAP)


def _max_difference(a: Image.Image, b: Image.Image) -> int:
    assert (a.mode, a.size) == (b.mode, b.size)
    return int(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max())


def _alpha_photo(width: int, height: int) -> Image.Image:
    image = photo(width, height).convert("RGBA")
    alpha = Image.linear_gradient("L").resize((width, height))
    image.putalpha(alpha)
    return image


SOURCES = {
    "RGB": lambda: photo(3300, 900),
    "L": lambda: photo(3300, 900).convert("L"),
    "RGBA": lambda: _alpha_photo(3300, 900),
    "LA": lambda: _alpha_photo(3300, 900).convert("LA"),
    "P+transparency": lambda: photo(3300, 900).convert("P", palette=Image.Palette.ADAPTIVE),
    "I;16": lambda: photo(3300, 900).convert("L").convert("I").point(lambda v: v * 257).convert("I;16"),
    "CMYK": lambda: photo(3300, 900).convert("CMYK"),
    "1": lambda: photo(3300, 900).convert("1"),
}


@pytest.mark.parametrize("mode", list(SOURCES))
def test_the_first_reduction_equals_the_whole_image_resize(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """RGB and L in one reduce(), every mode that needs converting in bands: the pixels of one whole-image resize."""
    source = SOURCES[mode]()
    if mode == "P+transparency":
        source.info["transparency"] = 0
    # Small bands, so that a 3300 x 900 image is reduced in many of them (the real band is 16 MiB).
    monkeypatch.setattr(thumbnails, "_BAND_BYTES", 3300 * 4 * 50)
    largest = _largest(source)
    target = fitted_size(source.size, 1024)
    assert largest.size == target == (1024, 279)
    expected = _whole_image(source, target)
    assert largest.mode == expected.mode
    assert _max_difference(largest, expected) <= 1


def test_transparent_pixels_colour_does_not_bleed_into_visible_ones() -> None:
    # Left: fully transparent, but red underneath; right: opaque blue. Wide enough for the banded path.
    source = Image.new("RGBA", (3300, 600), (255, 0, 0, 0))
    source.paste((0, 0, 255, 255), (1650, 0, 3300, 600))
    largest = _largest(source)
    pixels = np.asarray(largest)
    visible = pixels[..., 3] > 0
    assert visible.any() and (~visible).any()
    assert int(pixels[..., 0][visible].max()) <= 1  # no red fringe along the edge
    # The JPEG thumbnails composite on white: the edge goes from white to blue, never through pink.
    outcome = process_image(encode(source, "PNG"), SETTINGS)
    thumb = np.asarray(Image.open(io.BytesIO(outcome.renditions[0].data)).convert("RGB"), dtype=np.int16)
    assert int(thumb[:, :100].min()) >= 245  # transparent -> white
    assert np.abs(thumb[:, -100:] - (0, 0, 255)).max() <= 8  # opaque blue stays blue
    assert int((thumb[..., 0] - thumb[..., 1]).max()) <= 8  # JPEG noise only


def _psnr(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGB"), dtype=np.float64)
    y = np.asarray(b.convert("RGB"), dtype=np.float64)
    return float(10 * np.log10(255**2 / np.mean((x - y) ** 2)))


@pytest.mark.parametrize(("fmt", "orientation"), [("JPEG", None), ("JPEG", 6), ("PNG", None)])
def test_every_output_is_close_to_a_full_image_lanczos_resize(fmt: str, orientation: int | None) -> None:
    """Draft decoding, reduce() and the cascade are shortcuts: each output must still look like the naive path."""
    # 3000 x 2000 -> 1024 x 683, whose aspect would round 512 to 342 where the source's rounds it to 341.
    data = jpeg(3000, 2000, orientation=orientation) if fmt == "JPEG" else encode(photo(3000, 2000), "PNG")
    naive = Image.open(io.BytesIO(data))
    naive.load()
    if orientation == 6:
        naive = naive.transpose(Image.Transpose.ROTATE_270)
    outcome = process_image(data, SETTINGS)
    for r in outcome.renditions:
        out = Image.open(io.BytesIO(r.data))
        longest = int(r.name.removeprefix("thumb-").removesuffix(".jpg")) if r.name.startswith("thumb") else 1024
        reference = naive.copy()
        reference.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=None)
        assert out.size == reference.size, r.name  # exactly what thumbnail() makes of the upright source
        # Encoded at q85 (JPEG) / q80 (WebP): PSNR vs the unencoded ideal, well above visible differences.
        assert _psnr(out, reference) > 30, r.name
