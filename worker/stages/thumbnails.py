"""Thumbnails and the processed output: upright, metadata-free, each size cascaded from the previous one."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from core.config import Settings
from worker.imaging import flatten_on_white, normalize_mode, upright, upright_size


@dataclass(frozen=True)
class Rendition:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)  # no exif= passed: outputs carry no EXIF (no GPS leaks)
    return buffer.getvalue()


# The choices below were measured with bench/stage.py (CPU time and SSIM against the naive path); the figures are in
# bench/README.md's tuning table, where they are measured again.
#
# WebP method 0: much cheaper than method 4 (Pillow's default) for a few % more bytes and an invisible loss at q80.
_WEBP_METHOD = 0
# Each step first reduce()s by an integer factor (a cheap box filter) as long as LANCZOS is left at least this
# ratio. 1.5 turns a 12 MP PNG's 4000 -> 1024 into 2x box + 1.95x LANCZOS, like the JPEG path's DCT 1/2 decode;
# 1.0 is cheaper but softens the 512/128 thumbnails; 2.0 and 3.0 resample the full 12 MP.
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


def _first_step(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """`normalize_mode(image).resize(target, LANCZOS, reducing_gap=_REDUCING_GAP)`, pixel for pixel, but the
    integer reduction runs in bands of rows, so no second full-size image is ever held.

    Whole-image, a mode conversion (palette, grey+alpha, 16-bit) and Pillow's premultiplied-alpha copy of RGBA each
    hold a second full-size buffer, hundreds of MiB more for a 100 MP RGBA PNG, which fits in a 0.4 MB upload
    (bench/README.md, Memory). In bands it is the decoded image plus a few MiB. JPEGs rarely get here: draft
    decoding already left less than 2x to go.
    """
    width, height = image.size
    fx = int(width / target[0] / _REDUCING_GAP) or 1
    fy = int(height / target[1] / _REDUCING_GAP) or 1
    if fx == 1 and fy == 1:
        return normalize_mode(image).resize(target, _RESAMPLE)
    rows = max(fy, _BAND_BYTES // (width * 4) // fy * fy)
    reduced: Image.Image | None = None
    for top in range(0, height, rows):
        box = (0, top, width, min(height, top + rows))
        if image.mode in ("RGB", "L"):
            part = image.reduce((fx, fy), box=box)  # no copy of the band needed
        else:
            band = normalize_mode(image.crop(box))
            # Premultiplied, as Image.resize() does for alpha, so transparent pixels' colours do not bleed.
            part = (band.convert("RGBa") if band.mode == "RGBA" else band).reduce((fx, fy))
        if reduced is None:
            reduced = Image.new(part.mode, (math.ceil(width / fx), math.ceil(height / fy)))
        reduced.paste(part, (0, top // fy))
    assert reduced is not None
    # The box maps the reduced pixels back onto the source's exact extent, as resize(reducing_gap=...) does.
    resized = reduced.resize(target, _RESAMPLE, box=(0, 0, width / fx, height / fy))
    return resized.convert("RGBA") if resized.mode == "RGBa" else resized


def render(
    image: Image.Image,
    orientation: int | None,
    settings: Settings,
    source_size: tuple[int, int] | None = None,
) -> tuple[list[Rendition], Image.Image]:
    """All renditions of a decoded image, largest first, plus the largest upright image (for analysis).

    Each size is resized from the previous (already smaller) one, which is much cheaper than resampling the full
    image per size and indistinguishable at these ratios (SSIM >= 0.98 vs the naive path). Nothing copies the
    full-size image: the first step reduces it in bands, later steps are small. Every size is fitted to
    `source_size` (the stored size before draft decoding), so outputs are exactly as large as Image.thumbnail()
    on the source would make them, not off by a pixel from rounding in the draft or the previous step.
    """
    sizes = sorted({*settings.thumbnail_sizes, settings.processed_max_side}, reverse=True)
    displayed = upright_size(source_size or image.size, orientation)
    largest: Image.Image | None = None
    by_size: dict[int, Image.Image] = {}
    current = image
    for size in sizes:
        target = fitted_size(displayed, size)
        if largest is None:
            stored = upright_size(target, orientation)  # the stored size: a swap undoes itself
            step = normalize_mode(image) if stored == image.size else _first_step(image, stored)
            # Transposed once, after the first (largest) resize: the cheapest point; transposing the decoded
            # image, or each output, measured no faster.
            step = largest = upright(step, orientation)
        elif target == current.size:
            step = current
        else:
            step = current.resize(target, _RESAMPLE, reducing_gap=_REDUCING_GAP)
        by_size[size] = current = step

    renditions: list[Rendition] = []
    for size in settings.thumbnail_sizes:
        thumb = flatten_on_white(by_size[size])
        data = _encode(thumb, "JPEG", quality=settings.thumbnail_quality)
        renditions.append(Rendition(f"thumb-{size}.jpg", "image/jpeg", data, thumb.width, thumb.height))
    processed = by_size[settings.processed_max_side]
    data = _encode(processed, "WEBP", quality=settings.processed_quality, method=_WEBP_METHOD)
    renditions.append(Rendition("processed.webp", "image/webp", data, processed.width, processed.height))
    assert largest is not None
    return renditions, largest
