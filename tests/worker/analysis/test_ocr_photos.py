"""Text read from photos, not just screenshots (issue 18): generated label and receipt photos (small text, low
contrast, sensor noise, a slight shear, JPEG q55) read word for word by the local engine with its defaults."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cli.banner import SAMPLES
from core.config import Settings
from harness.photo_text import Condition, photo_text
from harness.text_images import FONTS_HINT, find_fonts, render_text
from worker.analysis.local import analyze_local
from worker.analysis.ocr_decode import LineDecode, allowed_in

pytest.importorskip("rapidocr", reason="the local OCR engine needs the `ocr` extra (rapidocr, onnxruntime)")

FONTS = {font.stem: font for font in find_fonts()}
if not FONTS:
    pytest.skip(f"no fonts to draw text with: {FONTS_HINT}", allow_module_level=True)

DEFAULTS = Settings(analysis_engine="local")
# The kind of photo the issue describes: 20 px text, ink 0.3 from the background, noise, shear, JPEG q55.
LABEL_PHOTO = Condition(font_size=20, contrast=0.3, noise=8.0, shear=0.08, quality=55)


def label_photo(lines: list[str], font: str, seed: int) -> Image.Image:
    return photo_text(lines, FONTS[font], LABEL_PHOTO, random.Random(seed))


@pytest.mark.parametrize(
    ("lines", "font", "seed"),
    [
        # What each read before the fix: "Staffonly", "Open mtil", "Flour Ikg L.89", "ApplesQty3 4.20",
        # "Flour 1kg1.89", "Card**4821", "TotalEUR".
        (["Staff only", "Open until 22:00"], "SourceSansPro-Regular", 0),
        (["Staff only", "Open until 22:00"], "SourceSerifPro-Regular", 0),
        (["Apples Qty 3 4.20", "Flour 1kg 1.89"], "SourceSerifPro-Semibold", 2),
        (["Apples Qty 3 4.20", "Flour 1kg 1.89"], "Caladea-Bold", 0),
        (["Card ****4821", "Total EUR 12.80"], "Lato-Regular", 1),
    ],
)
def test_a_low_contrast_label_photo_is_read_word_for_word(lines: list[str], font: str, seed: int) -> None:
    result = analyze_local(label_photo(lines, font, seed), DEFAULTS)

    assert result.full_text == "\n".join(lines)
    assert [w.text for w in result.words] == " ".join(lines).split()


@pytest.mark.parametrize(
    ("lines", "font", "condition", "seed", "other_script"),
    [
        # The model's "°℃" (the CJK degree sign).
        (["Store below 25°C"], "Lato-Bold", LABEL_PHOTO, 0, "℃"),
        # Greek rho for the p, on a smaller and noisier receipt.
        (["Card ****4821", "Soap 1kg 3.12"], "SourceSansPro-Semibold", Condition(16, 0.25, 12.0), 0, "\u03c1"),
        # The multiplication sign for the letter x: math operators beyond ASCII's are not Latin text either.
        (["Cheese 2 x 23.43"], "Lato-Regular", Condition(16, 0.3, 14.0, shear=0.0), 2, "\u00d7"),
    ],
)
def test_latin_text_comes_back_in_latin_script_only(
    lines: list[str], font: str, condition: Condition, seed: int, other_script: str
) -> None:
    image = photo_text(lines, FONTS[font], condition, random.Random(seed))

    latin = analyze_local(image, DEFAULTS)
    assert latin.model_version and latin.model_version.endswith("latin scripts")
    assert latin.full_text.splitlines()[-1] == lines[-1]
    assert all(allowed_in(c, "latin") for c in latin.full_text if c != "\n")

    # The setting is what keeps it out: with every script the model knows, it reads the other script's character.
    everything = analyze_local(image, Settings(analysis_engine="local", ocr_scripts="all"))
    assert other_script in everything.full_text


def test_the_sample_diagrams_labels_are_not_turned_upside_down() -> None:
    # samples/diagram.png (the first-try sample of `make dev`): the line direction classifier used to turn the short
    # label "upload" over, which then read "peojdn".
    with Image.open(SAMPLES / "diagram.png") as image:
        result = analyze_local(image.convert("RGB"), DEFAULTS)
    assert result.full_text.splitlines() == ["upload", "queue", "worker"]


def test_upside_down_text_is_still_turned_and_read() -> None:
    # The line direction classifier now turns a line only when it is sure (0.99): a line that is upside down still
    # is.
    image = render_text([["Keep", "refrigerated"]], FONTS["SourceSansPro-Regular"], 28).rotate(180)
    assert [w.text for w in analyze_local(image, DEFAULTS).words] == ["Keep", "refrigerated"]


def _decode_lines_and_words(columns: list[dict[str, float]], scripts: str = "latin") -> tuple[Any, Any]:
    """LineDecode over hand-made per-column probabilities (a stand-in for the recogniser's output), on the real
    dictionary: rapidocr's lines (text, confidence) and word infos."""
    from worker.analysis.local import ocr_engine

    engine, _ = ocr_engine(Settings(analysis_engine="local", ocr_scripts="all"))
    inner = engine.text_rec.postprocess_op.inner
    decode = LineDecode(inner, "latin" if scripts == "latin" else "all")
    index = {c: i for i, c in enumerate(decode.character)}
    preds = np.zeros((1, len(columns), len(decode.character)), dtype=np.float32)
    for column, probabilities in enumerate(columns):
        for character, p in probabilities.items():
            preds[0, column, index[character]] = p
    return decode(preds, return_word_box=True, wh_ratio_list=[1.0], max_wh_ratio=1.0)


def _decode(columns: list[dict[str, float]], scripts: str = "latin") -> str:
    """What characters and spaces the best path gives."""
    lines, _ = _decode_lines_and_words(columns, scripts)
    return str(lines[0][0])


def test_a_word_s_confidence_is_that_of_its_own_characters() -> None:
    """rapidocr paired the n-th word with the n-th character's confidence: a well-read "0321" after a doubtful
    "Call" got the "a"'s, and the minimum word confidence then dropped it."""
    doubtful = [{"C": 0.3}, {"a": 0.3}, {"l": 0.3}, {"blank": 0.9}, {"l": 0.3}]
    sure = [{"0": 0.95}, {"3": 0.95}, {"2": 0.95}, {"1": 0.95}]
    lines, [info] = _decode_lines_and_words([*doubtful, {" ": 0.9}, *sure])
    assert lines[0][0] == "Call 0321"
    assert ["".join(w) for w in info.words] == ["Call", "0321"]
    assert info.confs == pytest.approx([0.3, 0.95])


def test_decoding_masks_other_scripts_and_reads_likely_spaces() -> None:
    blank = {"blank": 0.9}
    star = [{"*": 0.9}, blank]
    # A column whose best guess is "共" gives the best Latin character instead (the CTC path, not a post-filter).
    assert _decode([*star, *star, {"共": 0.6, "*": 0.3}, blank, *star], "all") == "**共*"
    assert _decode([*star, *star, {"共": 0.6, "*": 0.3}, blank, *star]) == "****"
    # A blank gap where the space is likely enough is a space; where it is not, none.
    word_gap = {"blank": 0.7, " ": 0.25}
    assert _decode([{"Q": 0.9}, {"t": 0.9}, {"y": 0.9}, word_gap, {"3": 0.9}]) == "Qty 3"
    assert _decode([{"Q": 0.9}, {"t": 0.9}, {"y": 0.9}, {"blank": 0.95, " ": 0.02}, {"3": 0.9}]) == "Qty3"


def test_a_gap_inside_a_number_or_beside_a_hyphen_is_not_a_space() -> None:
    gap = {"blank": 0.7, " ": 0.3}  # as likely a space as the missed ones between words
    apart = {"blank": 0.9}  # between two of the same character
    word = [{"S": 0.9}, {"t": 0.9}, {"a": 0.9}, {"f": 0.9}, apart, {"f": 0.9}]
    assert _decode([*word, gap, {"o": 0.9}, {"n": 0.9}, {"l": 0.9}, {"y": 0.9}]) == "Staff only"
    # "33. 44", "22 :00", "Wi- Fi", "Guest -5G" before.
    assert _decode([{"3": 0.9}, apart, {"3": 0.9}, {".": 0.9}, gap, {"4": 0.9}, apart, {"4": 0.9}]) == "33.44"
    assert _decode([{"2": 0.9}, apart, {"2": 0.9}, gap, {":": 0.9}, {"0": 0.9}, apart, {"0": 0.9}]) == "22:00"
    assert _decode([{"W": 0.9}, {"i": 0.9}, {"-": 0.9}, gap, {"F": 0.9}, {"i": 0.9}]) == "Wi-Fi"
    assert _decode([{"t": 0.9}, gap, {"-": 0.9}, {"5": 0.9}, {"G": 0.9}]) == "t-5G"
    # Between a number and a word, or two numbers with no separator at the gap, the space still counts.
    assert _decode([{"2": 0.9}, {".": 0.9}, {"5": 0.9}, gap, {"x": 0.9}]) == "2.5 x"
    assert _decode([{"7": 0.9}, gap, {"3": 0.9}, {"1": 0.9}, {".": 0.9}, {"1": 0.9}]) == "7 31.1"


def test_a_character_of_another_script_with_a_latin_form_is_read_in_that_form() -> None:
    # The model reads "°C" as the CJK degree sign "℃", or as "°" then "℃" for the C: masked, the first read "25C".
    assert _decode([{"2": 0.9}, {"5": 0.9}, {"blank": 0.9}, {"℃": 0.6, "C": 0.2}]) == "25°C"
    assert _decode([{"2": 0.9}, {"5": 0.9}, {"°": 0.9}, {"℃": 0.6, "C": 0.2}]) == "25°C"
    assert _decode([{"2": 0.9}, {"5": 0.9}, {"°": 0.9}, {"℃": 0.6, "C": 0.2}], "all") == "25°℃"
    # One with no Latin form is still masked.
    assert _decode([{"2": 0.9}, {"共": 0.6, "4": 0.3}]) == "24"
