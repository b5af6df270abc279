"""Encoding one rendition's pixels: JPEG, WebP, AVIF or PNG, never with metadata."""

from __future__ import annotations

import io

from PIL import Image

from core.recipes import OutputFormat, Rendition
from worker.imaging import flatten_on_white

# The choices below were measured with bench/stage.py (CPU time and SSIM against the naive path); the figures are in
# bench/README.md's tuning table, where they are measured again.
#
# WebP method 0: much cheaper than method 4 (Pillow's default) for a few % more bytes and an invisible loss at q80.
_WEBP_METHOD = 0
# AVIF speed 8: about a third of the CPU of libavif's default (6) for a few % more bytes at the same quality.
_AVIF_SPEED = 8
# PNG: zlib level 6 (Pillow's default); higher levels cost much more CPU for little.
_PNG_COMPRESS_LEVEL = 6


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)  # no exif=/icc_profile= passed: outputs carry no EXIF (no GPS leaks)
    return buffer.getvalue()


def encode_rendition(image: Image.Image, rendition: Rendition) -> bytes:
    """`image` (a normalized RGB/RGBA/L image, see worker.imaging) encoded as `rendition` asks."""
    quality = rendition.encoder_quality
    if rendition.format is OutputFormat.JPEG:
        return encode(flatten_on_white(image), "JPEG", quality=quality)  # JPEG has no alpha: composited on white
    if rendition.format is OutputFormat.WEBP:
        return encode(image, "WEBP", quality=quality, method=_WEBP_METHOD)
    if rendition.format is OutputFormat.AVIF:
        return encode(image, "AVIF", quality=quality, speed=_AVIF_SPEED)
    return encode(image, "PNG", compress_level=_PNG_COMPRESS_LEVEL)
