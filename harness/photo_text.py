"""Generated, labelled images of text the way a phone photo of a label or a receipt looks, for the OCR tests and
bench/ocr_accuracy.py: small text, low contrast against an unevenly lit background, sensor noise, a slight shear,
saved as a low-quality JPEG. Each condition is a parameter, so the benchmark can report them separately.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_ITEMS = [
    "Milk",
    "Bread",
    "Apples",
    "Bananas",
    "Coffee",
    "Butter",
    "Cheese",
    "Eggs",
    "Rice",
    "Pasta",
    "Tomatoes",
    "Yogurt",
    "Flour",
    "Sugar",
    "Tea",
    "Soap",
    "Onions",
    "Carrots",
    "Lemons",
    "Water",
    "Juice",
    "Honey",
    "Salmon",
    "Chicken",
    "Oats",
    "Beans",
]
_UNITS = ("1kg", "500g", "250g", "2L", "1L", "330ml", "750ml", "6pk", "12oz", "3lb")
_LABEL_LINES = (
    "Staff only",
    "No entry",
    "Keep door closed",
    "Open until 22:00",
    "Closed on Sundays",
    "Fire exit",
    "Push to open",
    "Mind the step",
    "Best before 12/03/2027",
    "Keep refrigerated",
    "Store below 25°C",
    "Net weight 450g",
    "Batch L2417B",
    "Made in Italy",
    "Room 214B",
    "Gate B12",
    "Platform 9",
    "Wi-Fi: Guest-5G",
    "Call +44 20 7946 0321",
    "Valid until 31/12/2026",
)
_TAILS = ("Thank you!", "Card ****4821", "VISA ****0037", "Change 0.00", "Items: 7", "Order #A-10492")


@dataclass(frozen=True)
class Condition:
    """How one photo-like image is made: the cap height is about 0.7 of the font size, so 16-26 px text high
    (ascender to descender) is a font size of about 16-26."""

    font_size: int = 20
    contrast: float = 0.35  # ink's distance from the background, 0 (invisible) to 1 (black on white)
    noise: float = 8.0  # standard deviation of the sensor noise, in grey levels
    shear: float = 0.08  # horizontal shear (x shift per px of height)
    quality: int = 55  # JPEG quality it is saved at


def _price(rng: random.Random) -> str:
    return f"{rng.randint(0, 39)}.{rng.randint(0, 99):02d}"


def receipt_line(rng: random.Random) -> str:
    """A receipt line: an item with a unit or a quantity, and a price; or a total, tax or payment line."""
    kind = rng.randrange(6)
    item = rng.choice(_ITEMS)
    if kind == 0:
        return f"{item} {rng.choice(_UNITS)} {_price(rng)}"
    if kind == 1:
        return f"{item} Qty {rng.randint(1, 9)} {_price(rng)}"
    if kind == 2:
        return f"{item} {rng.randint(2, 6)} x {_price(rng)}"
    if kind == 3:
        return f"Total EUR {_price(rng)}"
    if kind == 4:
        return f"VAT {rng.choice((5, 7, 10, 20))}% {_price(rng)}"
    return rng.choice(_TAILS)


def label_lines(rng: random.Random, count: int) -> list[str]:
    """`count` lines of a label or a receipt, half of each kind on average."""
    return [rng.choice(_LABEL_LINES) if rng.random() < 0.5 else receipt_line(rng) for _ in range(count)]


def _background(size: tuple[int, int], tone: int, rng: random.Random) -> Image.Image:
    """Paper or a painted surface lit from one side: a grey gradient of about 40 levels around `tone`, tinted."""
    light = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size)
    spread = 40
    light = light.point(lambda v: tone - spread // 2 + v * spread // 255)
    tint = (rng.randint(-12, 12), rng.randint(-12, 12), rng.randint(-12, 12))
    return Image.merge("RGB", [light.point(lambda v, t=t: max(0, min(255, v + t))) for t in tint])


def photo_text(lines: list[str], font_path: Path, condition: Condition, rng: random.Random) -> Image.Image:
    """The lines drawn darker than a light background (or lighter than a dark one) by `condition.contrast`,
    sheared, softened as a phone lens does, with sensor noise, then JPEG-encoded and decoded again."""
    font = ImageFont.truetype(str(font_path), condition.font_size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    margin = condition.font_size + rng.randint(8, 40)
    step = int(condition.font_size * 1.5)
    width = max(int(probe.textlength(line, font=font)) for line in lines) + 2 * margin
    height = step * len(lines) + 2 * margin
    dark = rng.random() < 0.2  # light text on a dark surface, now and then
    tone = rng.randint(50, 80) if dark else rng.randint(185, 225)
    delta = int(255 * condition.contrast) * (1 if dark else -1)
    image = _background((width, height), tone, rng)
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, font=font, fill=255)
    ink = image.point(lambda v: max(0, min(255, v + delta)))
    image = Image.composite(ink, image, mask)
    if condition.shear:
        shift = condition.shear * height
        image = image.transform(
            (width + int(abs(shift)), height),
            Image.Transform.AFFINE,
            (1, condition.shear, -max(0.0, shift), 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
            fillcolor=(tone, tone, tone),
        )
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    if condition.noise:
        # Seeded from `rng` (Pillow's effect_noise is not): the same arguments give the same image.
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0.0, condition.noise, (height, image.width, 1))
        image = Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=condition.quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
