"""Images with known text, drawn with Pillow, for the OCR tests and bench/ocr_accuracy.py.

Fonts come only from PyPI packages of the `test` extra (SIL OFL / Apache-2.0 TrueType files inside the wheels), so a
fresh CI machine has exactly the same fonts as a developer's, whatever the system has installed.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PACKAGES = ("font_source_sans_pro", "font_source_serif_pro", "font_caladea", "font_lato")
FONTS_HINT = "pip install -e '.[test]' (it brings font-source-sans-pro, font-source-serif-pro, font-caladea, font-lato)"
# Upright, regular and bold faces only: OCR of thin, light or italic display faces is a different question.
_SKIP = ("Italic", "It.", "Thin", "Light", "Black")


def find_fonts() -> list[Path]:
    """TrueType files of the font packages that are installed, in a stable order."""
    fonts: list[Path] = []
    for package in FONT_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        fonts += sorted(Path(module.__file__ or "").parent.glob("files/*.ttf"))
    return [f for f in fonts if not any(skip in f.name for skip in _SKIP)]


def regular_fonts() -> list[Path]:
    """One sans and one serif regular face, when installed."""
    fonts = find_fonts()
    picks = [f for f in fonts if f.name in ("SourceSansPro-Regular.ttf", "SourceSerifPro-Regular.ttf")]
    return picks or fonts[:1]


def draw_lines(
    draw: ImageDraw.ImageDraw,
    origin: tuple[int, int],
    lines: list[list[str]],
    font: ImageFont.FreeTypeFont,
    ink: tuple[int, int, int],
) -> int:
    """Draw each line of words below the previous one; returns the y below the last line."""
    x, y = origin
    for line in lines:
        draw.text((x, y), " ".join(line), font=font, fill=ink)
        y += int(font.size * 1.6)
    return y


def render_text(
    words_per_line: list[list[str]],
    font_path: Path,
    font_size: int,
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    ink: tuple[int, int, int] = (0, 0, 0),
    margin: int = 24,
) -> Image.Image:
    """An RGB image just large enough for the lines (plus `margin`), drawn in one font."""
    font = ImageFont.truetype(str(font_path), font_size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max(int(probe.textlength(" ".join(line), font=font)) for line in words_per_line)
    height = int(font_size * 1.6) * len(words_per_line)
    image = Image.new("RGB", (width + 2 * margin, height + 2 * margin), background)
    draw_lines(ImageDraw.Draw(image), (margin, margin), words_per_line, font, ink)
    return image
