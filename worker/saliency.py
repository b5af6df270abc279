"""How much each slice of an image matters, for the smart crop: libvips smartcrop's two measures, with numpy.

The crop keeps the image's full extent on one axis and slides a window along the other (the long one for the
target), so a score per column (or row) of a small copy is all the search needs. Both measures work on a copy
scaled to at most SCORE_SIDE px on the long side: a few milliseconds on a 12 MP photo (bench/stage.py).
- entropy: Shannon entropy of the luminance histogram inside the window (libvips' "entropy"): busy detail beats
  flat sky or a plain wall.
- attention: edges + skin tones + saturated colour, summed inside the window (libvips' "attention"): people and
  bright objects beat grey texture.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from worker.imaging import to_rgb

SCORE_SIDE = 256  # long side of the copy the scores are computed on
_BINS = 32  # luminance histogram bins for entropy: fine enough for texture, robust to JPEG noise

FloatArray = npt.NDArray[np.float64]


def small_rgb(image: Image.Image, side: int = SCORE_SIDE) -> npt.NDArray[np.uint8]:
    """The image as an RGB array with at most `side` px on its long side. Image.reduce (a box filter in whole
    factors) first: resizing 12 MP straight to 256 px costs ten times more."""
    rgb = to_rgb(image)
    factor = max(rgb.size) // (2 * side)
    if factor > 1:
        rgb = rgb.reduce(factor)
    if max(rgb.size) > side:
        scale = side / max(rgb.size)
        rgb = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.BOX)
    return np.asarray(rgb, dtype=np.uint8)


def _luminance(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return 0.299 * r + 0.587 * g + 0.114 * b


def entropy_windows(rgb: npt.NDArray[np.uint8], window: int, axis: int) -> FloatArray:
    """Entropy (bits) of the luminance histogram of every window of `window` columns (axis=1) or rows (axis=0)."""
    lum = _luminance(rgb).astype(np.int64) * _BINS // 256
    if axis == 0:
        lum = lum.T
    height, length = lum.shape
    # Per-column histograms in one bincount, then cumulative along the axis: each window's histogram is a
    # difference of two rows.
    index = np.arange(length)[None, :] * _BINS + lum
    columns = np.bincount(index.ravel(), minlength=length * _BINS).reshape(length, _BINS)
    cumulative = np.vstack([np.zeros((1, _BINS), dtype=np.int64), np.cumsum(columns, axis=0)])
    counts = (cumulative[window:] - cumulative[:-window]).astype(np.float64)
    p = counts / (window * height)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p), 0.0)
    return np.asarray(-terms.sum(axis=1), dtype=np.float64)


def attention_map(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    """Per-pixel interest, about 0-4: edge strength, skin tone (counts double) and colour saturation."""
    f = rgb.astype(np.float64) / 255.0
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    gy, gx = np.gradient(lum)
    edges = np.clip(np.hypot(gx, gy) * 4.0, 0.0, 1.0)  # a step of 1/4 of the range between neighbours counts fully
    high, low = f.max(axis=2), f.min(axis=2)
    # Saturation of what is bright enough to see: near-black pixels have unstable hue and saturation.
    saturation = np.where(high > 0.15, (high - low) / np.maximum(high, 1e-6), 0.0)
    # Skin: the classic YCbCr box (Chai & Ngan), which holds across skin tones under ordinary light.
    cb = 128 + 255 * (-0.168736 * r - 0.331264 * g + 0.5 * b)
    cr = 128 + 255 * (0.5 * r - 0.418688 * g - 0.081312 * b)
    skin = ((cr >= 135) & (cr <= 175) & (cb >= 80) & (cb <= 130) & (lum > 0.2)).astype(np.float64)
    return np.asarray(edges + 2.0 * skin + saturation, dtype=np.float64)


def attention_windows(rgb: npt.NDArray[np.uint8], window: int, axis: int) -> FloatArray:
    """Summed attention of every window of `window` columns (axis=1) or rows (axis=0)."""
    per_slice = attention_map(rgb).sum(axis=0 if axis == 1 else 1)
    cumulative = np.concatenate([[0.0], np.cumsum(per_slice)])
    return np.asarray(cumulative[window:] - cumulative[:-window], dtype=np.float64)


def best_offset(scores: FloatArray) -> int | None:
    """The offset of the highest score; None when every window scores the same (a flat image): then no place is
    better than the centre. Windows that tie (all holding the whole object) form runs: the middle of the run
    nearest the centre, so that the object does not sit on the crop's edge, where the small copy's rounding could
    cut it."""
    top, tolerance = float(scores.max()), 1e-9 * max(1.0, abs(float(scores.max())))
    if top - float(scores.min()) <= tolerance:
        return None
    candidates = np.flatnonzero(scores >= top - tolerance)
    runs = np.split(candidates, np.flatnonzero(np.diff(candidates) > 1) + 1)
    middles = np.array([(run[0] + run[-1]) / 2 for run in runs])
    centre = (len(scores) - 1) / 2
    return round(float(middles[np.argmin(np.abs(middles - centre))]))
