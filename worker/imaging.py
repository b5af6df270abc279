"""Pillow helpers shared by the image stages and the analysis: pixel modes, transparency, EXIF orientation.

The one place the worker decides how any decoded mode becomes 8-bit pixels, how transparency is dropped (onto
white) and how an EXIF orientation turns stored pixels upright; worker/stages and worker/analysis both import from
here, never from each other.
"""

from __future__ import annotations

from PIL import Image

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
# Orientations that turn the image by 90 degrees: stored width and height swap when displayed.
_SWAPS_SIDES = frozenset({5, 6, 7, 8})


def swaps_sides(orientation: int | None) -> bool:
    """Whether the EXIF `orientation` turns the image by 90 degrees (width and height swap when displayed)."""
    return orientation in _SWAPS_SIDES


def upright_size(size: tuple[int, int], orientation: int | None) -> tuple[int, int]:
    """The size of a stored `size` image as displayed, after its EXIF `orientation`."""
    return (size[1], size[0]) if swaps_sides(orientation) else size


def upright(image: Image.Image, orientation: int | None) -> Image.Image:
    """The image as displayed: the stored pixels turned and flipped as its EXIF `orientation` says."""
    for op in _UPRIGHT.get(orientation or 1, ()):
        image = image.transpose(op)
    return image


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


def flatten_on_white(image: Image.Image) -> Image.Image:
    """A normalized (RGB/RGBA/L) image without alpha (JPEG has none, nor do the analysis engines' inputs):
    transparent images are composited on white rather than on black. RGB and L come back as they are."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels, any mode in: normalized as the thumbnails are, transparency composited on white."""
    flat = flatten_on_white(normalize_mode(image))
    return flat if flat.mode == "RGB" else flat.convert("RGB")
