"""Image properties computed from pixels with Pillow alone (no numpy: the production worker does not ship it).

The scales imitate Rekognition's 0-100 quality values but are our own formulas, documented here:
- brightness: mean luma / 255 x 100.
- contrast: luma standard deviation / 127.5 x 100 (RMS contrast; a black/white half-split image scores 100).
- sharpness: variance of the Laplacian of luma at a fixed working size, mapped by 100 x (1 - exp(-var / 250)):
  blurred photos score low, crisp edges and text high.
"""

from __future__ import annotations

import colorsys
import math

from PIL import Image, ImageFilter, ImageStat

from core.analysis import DominantColor, ImageProperties, ImageQuality
from worker.imaging import to_rgb

WORKING_SIDE = 512  # quality is measured at one size so that values do not depend on the upload's resolution
COLOR_SIDE = 128  # colours are counted on a small copy: the same result, for a fraction of quantize's work
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
_SHARPNESS_SCALE = 250.0


def _reduced(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return copy


def quality(rgb: Image.Image) -> ImageQuality:
    luma = _reduced(rgb, WORKING_SIDE).convert("L")
    stat = ImageStat.Stat(luma)
    brightness = stat.mean[0] / 255 * 100
    contrast = min(100.0, stat.stddev[0] / 127.5 * 100)
    if min(luma.size) >= 3:
        # Pillow copies the 1 px border unfiltered: only the inside is a Laplacian.
        laplacian = luma.filter(_LAPLACIAN).crop((1, 1, luma.width - 1, luma.height - 1))
        laplacian_var = ImageStat.Stat(laplacian).var[0]
        sharpness = 100 * (1 - math.exp(-laplacian_var / _SHARPNESS_SCALE))
    else:
        sharpness = 0.0
    return ImageQuality(brightness=round(brightness, 2), sharpness=round(sharpness, 2), contrast=round(contrast, 2))


def dominant_colors(rgb: Image.Image, count: int) -> list[DominantColor]:
    small = _reduced(rgb, COLOR_SIDE)
    quantized = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = quantized.getcolors(maxcolors=256) or []
    total = sum(n for n, _ in counts) or 1
    colors = []
    for n, index in sorted(counts, key=lambda c: c[0], reverse=True)[:count]:
        start = int(index) * 3  # type: ignore[call-overload]  # a "P" image's colours are palette indices
        r, g, b = palette[start : start + 3]
        colors.append(DominantColor.of((r, g, b), n / total * 100, simplified_color=simplified_color(r, g, b)))
    return colors


def simplified_color(r: int, g: int, b: int) -> str:
    """A coarse name for an sRGB colour, from its hue, saturation and value."""
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    if v < 0.18:
        return "black"
    if s < 0.15:
        return "white" if v > 0.85 else "grey"
    hue = h * 360
    if hue < 15 or hue >= 345:
        name = "red"
    elif hue < 40:
        name = "orange"
    elif hue < 70:
        name = "yellow"
    elif hue < 165:
        name = "green"
    elif hue < 195:
        name = "cyan"
    elif hue < 255:
        name = "blue"
    elif hue < 290:
        name = "purple"
    else:
        name = "pink"
    # Dark, low-saturation oranges and reds read as brown.
    if name in ("orange", "red", "yellow") and v < 0.6 and s > 0.3:
        return "brown"
    return name


def pixel_properties(image: Image.Image, max_colors: int) -> ImageProperties:
    rgb = to_rgb(image)
    return ImageProperties(quality=quality(rgb), dominant_colors=dominant_colors(rgb, max_colors), source="pixels")
