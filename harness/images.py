"""Generated images: quick photo-like content in each format, so codecs and resizers do real work."""

from __future__ import annotations

import io
import random
from typing import Any

import numpy as np
import pillow_heif
from PIL import Image, ImageDraw, ImageFilter

pillow_heif.register_heif_opener()  # Pillow saves and opens HEIF through it


def photo(width: int, height: int, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Photo-like content (gradients, shapes, noise), not flat colour, so encoders and resizers do real work."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(2, min(width, height) // 8)) + 1
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    # Gaussian grain around 128 as Image.effect_noise() makes, but from `seed`: effect_noise draws from the C
    # library's rand(), whose state depends on whatever ran before in the process (so the same call could give
    # another image depending on the tests run before it).
    grain = np.random.default_rng(seed).normal(128, 24, (height, width)).clip(0, 255).astype(np.uint8)
    noise = Image.fromarray(grain).convert("RGB")
    image = Image.blend(base, noise, 0.15).filter(ImageFilter.SMOOTH)
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _oriented(options: dict[str, Any], orientation: int | None) -> dict[str, Any]:
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    return options


def jpeg(width: int = 640, height: int = 480, *, orientation: int | None = None, **options: Any) -> bytes:
    return encode(photo(width, height), "JPEG", quality=90, **_oriented(options, orientation))


def heic(width: int = 640, height: int = 480, *, orientation: int | None = None, **options: Any) -> bytes:
    """An iPhone-like HEIC: a photo stored `width` x `height` (sensor landscape), with an EXIF orientation that
    pillow-heif also writes as the container's rotation, as iPhones do (6: shown as a portrait)."""
    return encode(photo(width, height), "HEIF", quality=80, **_oriented(options, orientation))


def png(width: int = 640, height: int = 480, mode: str = "RGB") -> bytes:
    return encode(photo(width, height, mode), "PNG")


def edge_bands(width: int, height: int) -> Image.Image:
    """Green, with a red band on the left 1/16 and a blue one on the right 1/16: a centred square crop of a
    landscape image keeps only green, a fit that keeps the whole frame keeps both bands."""
    image = Image.new("RGB", (width, height), (0, 160, 0))
    band = width // 16
    image.paste((220, 0, 0), (0, 0, band, height))
    image.paste((0, 0, 220), (width - band, 0, width, height))
    return image
