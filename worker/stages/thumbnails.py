"""Thumbnails and the processed output: upright, metadata-free, each size cascaded from the previous one."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from core.config import Settings

# EXIF orientation -> the transposes that make the image upright (same table as ImageOps.exif_transpose).
_UPRIGHT: dict[int, tuple[Image.Transpose, ...]] = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


@dataclass(frozen=True)
class Rendition:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int


def normalize_mode(image: Image.Image) -> Image.Image:
    """8-bit RGB/RGBA/L, whatever the source: palette, 16-bit, CMYK, bilevel, grey+alpha."""
    mode = image.mode
    if mode in ("RGB", "RGBA", "L"):
        return image
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode in ("LA", "PA", "RGBa", "La"):
        return image.convert("RGBA")
    if mode.startswith("I;16") or mode == "I":
        # 16/32-bit grey: scale to 8 bits instead of clipping (convert("L") would clip everything above 255).
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode == "F":
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, 1


def upright(image: Image.Image, orientation: int | None) -> Image.Image:
    for op in _UPRIGHT.get(orientation or 1, ()):
        image = image.transpose(op)
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)  # no exif= passed: outputs carry no EXIF (no GPS leaks)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: composite transparent images on white rather than on black."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def render(image: Image.Image, orientation: int | None, settings: Settings) -> tuple[list[Rendition], Image.Image]:
    """All renditions of a decoded image, largest first, plus the largest upright image (for analysis).

    Each size is made from the previous (already smaller) one with a reducing gap, which is much cheaper than
    resampling the full image per size and indistinguishable at these ratios.
    """
    sizes = sorted({*settings.thumbnail_sizes, settings.processed_max_side}, reverse=True)
    current = normalize_mode(image)
    largest: Image.Image | None = None
    by_size: dict[int, Image.Image] = {}
    for size in sizes:
        step = current.copy()
        step.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        if largest is None:
            step = upright(step, orientation)  # transpose once, at the first (smallest useful) size
            largest = step
        by_size[size] = current = step

    renditions: list[Rendition] = []
    for size in settings.thumbnail_sizes:
        thumb = _flatten(by_size[size])
        data = _encode(thumb, "JPEG", quality=settings.thumbnail_quality)
        renditions.append(Rendition(f"thumb-{size}.jpg", "image/jpeg", data, thumb.width, thumb.height))
    processed = by_size[settings.processed_max_side]
    data = _encode(processed, "WEBP", quality=settings.processed_quality, method=4)
    renditions.append(Rendition("processed.webp", "image/webp", data, processed.width, processed.height))
    assert largest is not None
    return renditions, largest
