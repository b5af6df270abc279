"""The resize steps of the fast path: the sizes Image.thumbnail() picks, and the first, banded reduction of a large
decoded image. worker/stages/renditions.py renders recipes with them."""

from __future__ import annotations

import math

from PIL import Image

from worker.imaging import normalize_mode

# The choices below were measured with bench/stage.py (CPU time and SSIM against the naive path); the figures are in
# bench/README.md's tuning table, where they are measured again.
#
# Each step first reduce()s by an integer factor (a cheap box filter) as long as LANCZOS is left at least this
# ratio. 1.5 turns a full-size 4000 -> 1024 (a HEIC, TIFF, WebP or non-plain PNG; plain PNGs arrive already resized
# by libvips, JPEGs DCT-reduced) into 2x box + 1.95x LANCZOS; 1.0 is cheaper but softens the 512/128 thumbnails;
# 2.0 and 3.0 resample the full 12 MP.
_REDUCING_GAP = 1.5
# LANCZOS for every step: BICUBIC or HAMMING on the first step is a little cheaper but softens the 1024 thumbnail.
# Later steps are on small images: no saving worth any quality.
_RESAMPLE = Image.Resampling.LANCZOS


def fitted_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size Image.thumbnail() would pick for a `longest` x `longest` box: aspect kept, never enlarged."""
    width, height = size
    if longest >= width and longest >= height:
        return size
    aspect = width / height
    if aspect >= 1:
        exact = longest / aspect
        candidates = (math.floor(exact), math.ceil(exact))
        return longest, max(min(candidates, key=lambda n: abs(aspect - longest / n) if n else math.inf), 1)
    exact = longest * aspect
    candidates = (math.floor(exact), math.ceil(exact))
    return max(min(candidates, key=lambda n: abs(aspect - n / longest)), 1), longest


# Rows per band of the banded first reduction: about this many bytes of source pixels at a time.
_BAND_BYTES = 16 * 1024 * 1024


def _reduced_in_bands(image: Image.Image, factor: tuple[int, int]) -> Image.Image:
    """`normalize_mode(image)` (premultiplied if RGBA) reduced by `factor`, converted band by band."""
    width, height = image.size
    fx, fy = factor
    rows = max(fy, _BAND_BYTES // (width * 4) // fy * fy)
    reduced: Image.Image | None = None
    for top in range(0, height, rows):
        band = normalize_mode(image.crop((0, top, width, min(height, top + rows))))
        # Premultiplied, as Image.resize() does for alpha, so transparent pixels' colours do not bleed.
        part = (band.convert("RGBa") if band.mode == "RGBA" else band).reduce(factor)
        if reduced is None:
            reduced = Image.new(part.mode, (math.ceil(width / fx), math.ceil(height / fy)))
        reduced.paste(part, (0, top // fy))
    assert reduced is not None
    return reduced


def _first_step(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """`normalize_mode(image).resize(target, LANCZOS, reducing_gap=_REDUCING_GAP)`, pixel for pixel, but the
    integer reduction of any image that needs converting runs in bands of rows, so no second full-size image is
    ever held.

    Whole-image, a mode conversion (palette, grey+alpha, 16-bit) and Pillow's premultiplied-alpha copy of RGBA each
    hold a second full-size buffer, hundreds of MiB more for a 100 MP RGBA PNG, which fits in a 0.4 MB upload
    (bench/README.md, Memory). In bands it is the decoded image plus a few MiB. JPEGs rarely get here: draft
    decoding already left less than 2x to go.
    """
    width, height = image.size
    factor = (int(width / target[0] / _REDUCING_GAP) or 1, int(height / target[1] / _REDUCING_GAP) or 1)
    if factor == (1, 1):
        return normalize_mode(image).resize(target, _RESAMPLE)
    # RGB and L need no conversion: one reduce() reads the decoded pixels in place (bands would only add a
    # zero-filled canvas and a paste per band: bench/README.md, 1b).
    reduced = image.reduce(factor) if image.mode in ("RGB", "L") else _reduced_in_bands(image, factor)
    # The box maps the reduced pixels back onto the source's exact extent, as resize(reducing_gap=...) does.
    resized = reduced.resize(target, _RESAMPLE, box=(0, 0, width / factor[0], height / factor[1]))
    return resized.convert("RGBA") if resized.mode == "RGBa" else resized
