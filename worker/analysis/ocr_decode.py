"""The recogniser's CTC decoding, made for photographed Latin text (figures: bench/README.md, Text analysis):

- Restricted to the scripts expected: characters outside them are masked out of the model's per-column
  probabilities before the best path is taken, so a column whose best guess was "共" gives the best character that
  is allowed (or nothing), rather than a CJK character dropped or replaced after the fact.
- Characters outside those scripts that have a compatibility form inside them ("℃", fullwidth forms) are read and
  written in that form ("°C"): masked, the model's "25℃" read "25C".
- Spaces: on noisy, low-contrast lines the recogniser often leaves the gap between two words blank instead of
  reading a space ("Staffonly"), though it gives the space some probability there. Between two characters, the
  blank column where the space is likeliest is read as a space when that probability exceeds
  `SPACE_MIN_PROBABILITY`, unless the gap is inside a number ("33.44" read "33. 44") or beside a hyphen.

rapidocr (3.10) decodes with `CTCLabelDecode` (best path: argmax per column, repeats and blanks removed); its
recogniser keeps that object as `postprocess_op`, with its `character` list (index 0 the CTC blank, the model's
dictionary, then " "). We wrap it: the wrapper picks the path and lets the same code turn it into text and words.
"""

from __future__ import annotations

import itertools
import unicodedata
from typing import Any, Literal

import numpy as np

OcrScripts = Literal["latin", "all"]

# Beyond ASCII: Latin-1 Supplement, Latin Extended-A and -B, Latin Extended Additional, General Punctuation, the
# currency symbols, and two letterlike symbols Latin text uses, but no math operator beyond ASCII's. Everything
# else the dictionaries hold (CJK ideographs, kana, hangul, fullwidth forms, Greek, Cyrillic, math operators, ℃ and
# ℉ from East Asian encodings) is masked for `latin`.
_LATIN_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x1E00, 0x1EFF), (0x2010, 0x205E), (0x20A0, 0x20C0))
_LATIN_EXTRA = frozenset("№™")
# Chosen on the benchmark's photo-like and clean sets: in the gaps of clean text the space's probability stays
# near 0 except for a few wide gaps inside words or after a colon (~0.4: those split either way), in the missed
# spaces of photographed lines it was 0.13-0.5.
SPACE_MIN_PROBABILITY = 0.1
# Separators inside a number ("33.44", "22:00", "1,250"): a blank gap next to one, with digits on both sides, is
# not read as a space ("33. 44" was); nor is one beside a hyphen ("Wi- Fi", "Guest -5G").
_NUMBER_SEPARATORS = frozenset(".,:")


def allowed_in(character: str, scripts: OcrScripts) -> bool:
    """Whether one dictionary entry may appear in the output for these scripts."""
    if scripts == "all":
        return True
    if len(character) != 1 or unicodedata.category(character).startswith("C"):  # controls, private use
        return False
    code = ord(character)
    if code > 0x7E and unicodedata.category(character) == "Sm":
        # Math operators beyond ASCII's (multiplication, plus-minus, division, not signs): on a receipt they were
        # the model's reading of a noisy "x".
        return False
    return character in _LATIN_EXTRA or any(low <= code <= high for low, high in _LATIN_RANGES)


def inside_token(before: str, left: str, right: str, after: str) -> bool:
    """Whether a blank gap between `left` and `right` (`before` and `after` the characters beyond them, or "") is
    inside one token: next to a separator within a number, or beside a hyphen."""
    if "-" in (left, right):
        return True
    if left in _NUMBER_SEPARATORS:
        return before.isdigit() and right.isdigit()
    return right in _NUMBER_SEPARATORS and left.isdigit() and after.isdigit()


def compatible(character: str) -> str:
    """The character's Unicode compatibility form (NFKC) where it has one that is not blank, else ""."""
    form = unicodedata.normalize("NFKC", character)
    return form if form != character and form.strip() else ""


class LineDecode:
    """A drop-in for rapidocr's CTCLabelDecode: characters of `scripts` only, and spaces read from blank gaps."""

    def __init__(self, inner: Any, scripts: OcrScripts) -> None:
        self.inner = inner
        self.scripts = scripts
        self.character: list[str] = list(inner.character)
        self.space = len(self.character) - 1
        # Characters outside `scripts` whose Unicode compatibility form is inside them ("℃" is "°C", a fullwidth
        # digit is the digit): read, then written in that form. Masked, "25℃" read "25C".
        self.expand = {
            c: form
            for c in self.character
            if not allowed_in(c, scripts) and (form := compatible(c)) and all(allowed_in(f, scripts) for f in form)
        }
        # Index 0 is the CTC blank: always allowed (it is how a column says "no character here").
        self.blocked = np.array(
            [i for i, c in enumerate(self.character) if i > 0 and not allowed_in(c, scripts) and c not in self.expand],
            dtype=np.intp,
        )

    def best_path(self, preds: np.ndarray) -> np.ndarray:
        """The class chosen per column (batch x columns), from probabilities with the blocked classes masked."""
        index: np.ndarray = preds.argmax(axis=2)
        for row in range(index.shape[0]):
            read = np.flatnonzero(index[row])
            chars = [self.character[i] for i in index[row, read]]
            for n, (a, b) in enumerate(itertools.pairwise(read)):
                if self.space in (index[row, a], index[row, b]):
                    continue  # the model read a space there already
                before, after = chars[n - 1] if n else "", chars[n + 2] if n + 2 < len(chars) else ""
                if inside_token(before, chars[n], chars[n + 1], after):
                    continue
                gap = preds[row, a + 1 : b, self.space]
                if gap.size and gap.max() > SPACE_MIN_PROBABILITY:
                    index[row, a + 1 + int(np.argmax(gap))] = self.space
        return index

    def __call__(self, preds: np.ndarray, return_word_box: bool = False, **kwargs: Any) -> Any:
        masked = np.array(preds, dtype=np.float32, copy=True)
        if self.blocked.size:
            masked[:, :, self.blocked] = 0.0
        index = self.best_path(masked)
        probability = np.take_along_axis(masked, index[:, :, None], axis=2)[:, :, 0]
        lines, words = self.inner.decode(
            index,
            probability,
            return_word_box,
            kwargs.get("wh_ratio_list", (1.0,)),
            kwargs.get("max_wh_ratio", 1.0),
            remove_duplicate=True,
        )
        if self.expand:
            lines = [("".join(self.expanded(list(text))), score) for text, score in lines]
            for info in words:
                info.words = [self.expanded(word) for word in info.words]
        for row, info in enumerate(words):
            info.confs = word_confidences(info, probability[row])
        return lines, words

    def expanded(self, characters: list[str]) -> list[str]:
        """The characters read, one string each (rapidocr's word boxes count them), those in `expand` written in
        their compatibility form."""
        out: list[str] = []
        for c in characters:
            form = self.expand.get(c, c)
            # "°℃": the model read the degree sign, then "℃" for the C.
            out.append(form[1:] if len(form) > 1 and "".join(out).endswith(form[0]) else form)
        return out


def word_confidences(info: Any, probability: np.ndarray) -> list[float]:
    """One confidence per entry rapidocr makes of `info` (a WordInfo): a word's is the mean of its characters'.

    rapidocr pairs its entries with the line's per-character confidences (spaces included) by position, so the n-th
    word got the n-th character's. Its entries are whole words when every word is Latin letters/digits, else
    single characters (cal_rec_boxes)."""
    columns: list[list[int]] = list(info.word_cols or [])
    if any(getattr(kind, "name", "") != "EN_NUM" for kind in info.word_types or []):
        columns = [[col] for word in columns for col in word]
    return [round(float(np.mean(probability[cols])), 5) for cols in columns if cols]


def install_decode(recogniser: Any, scripts: OcrScripts) -> None:
    """Make a loaded rapidocr TextRecognizer decode with LineDecode for `scripts` (again: replaces it)."""
    decode = recogniser.postprocess_op
    if isinstance(decode, LineDecode):
        decode = decode.inner
    recogniser.postprocess_op = LineDecode(decode, scripts)
