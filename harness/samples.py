"""The sample images of `samples/` (a first try with `make dev` needs no file of one's own), drawn here with Pillow
and the fonts of the `test` extra: nothing is downloaded. Regenerate them with `.venv/bin/python -m harness.samples`.
"""

from __future__ import annotations

import sys

from PIL import Image, ImageDraw, ImageFont

from cli.banner import SAMPLES
from harness.images import encode, photo
from harness.text_images import FONTS_HINT, regular_fonts, render_text

MAX_BYTES = 100 * 1024

# The text of receipt.png, line by line: what OCR of it should give back.
RECEIPT = [
    ["CORNER", "CAFE"],
    ["Flat", "white", "3.20"],
    ["Croissant", "2.40"],
    ["Total", "5.60"],
    ["Thank", "you!"],
]


def receipt() -> bytes:
    """Dark text on white, one font, large enough for OCR: the sample with text."""
    fonts = regular_fonts()
    if not fonts:
        raise RuntimeError(f"no fonts to draw the receipt with: {FONTS_HINT}")
    return encode(render_text(RECEIPT, fonts[0], 36, margin=40).convert("L"), "PNG", optimize=True)


def photo_jpeg() -> bytes:
    """Photo-like content (gradients, shapes, noise): thumbnails and metadata, no text."""
    return encode(photo(800, 600, seed=7), "JPEG", quality=80)


def diagram() -> bytes:
    """Flat shapes with a transparent background: a PNG with alpha."""
    image = Image.new("RGBA", (640, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(regular_fonts()[0]), 28)
    boxes = [("upload", (66, 133, 244)), ("queue", (52, 168, 83)), ("worker", (234, 67, 53))]
    for i, (label, colour) in enumerate(boxes):
        x = 30 + i * 205
        draw.rounded_rectangle((x, 150, x + 170, 250), radius=18, fill=(*colour, 255))
        draw.text((x + 85, 200), label, font=font, fill=(255, 255, 255, 255), anchor="mm")
        if i:
            draw.line((x - 35, 200, x, 200), fill=(90, 90, 90, 255), width=6)
    return encode(image, "PNG", optimize=True)


SAMPLE_FILES = {"receipt.png": receipt, "photo.jpg": photo_jpeg, "diagram.png": diagram}


def main() -> None:
    SAMPLES.mkdir(exist_ok=True)
    for name, render in SAMPLE_FILES.items():
        data = render()
        if len(data) > MAX_BYTES:
            sys.exit(f"{name}: {len(data)} bytes, over the {MAX_BYTES} a sample may take")
        (SAMPLES / name).write_bytes(data)
        print(f"samples/{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
