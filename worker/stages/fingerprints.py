"""Fingerprints of an upload for its metadata: SHA-256 of the bytes, a perceptual hash and a blurred placeholder.

The perceptual hash is a 64-bit dHash: each bit says whether a pixel of a 9x8 greyscale thumbnail is brighter than
its right neighbour. It survives re-encoding, resizing and mild colour changes, and costs one tiny resize; pHash's
DCT (the `imagehash` package, which pulls in scipy) buys more robustness to crops we do not need.

The placeholder is a BlurHash of 4x3 components (3x4 for portrait), about 28 characters. ThumbHash would also keep
the aspect ratio and alpha, but the job already reports the upright size, BlurHash has decoders for every front-end
(web, iOS, Android, React), and its Python package (`blurhash`, pure Python, no dependencies) is maintained, where
the ThumbHash ones pin Pillow < 11 or are unmaintained. Transparent images are previewed on white, as the JPEG
thumbnails show them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from itertools import pairwise

import blurhash
import numpy as np
from blurhash.blurhash import base83_encode
from PIL import Image

from worker.imaging import to_rgb

# Longest side of the thumbnail both are computed from: BlurHash's few cosine components cannot show more detail,
# and the pure-Python encoder's cost grows with the pixel count (about 4 ms at this size).
THUMB_SIDE = 32
# dHash: 8 rows of 9 pixels give 8 comparisons per row, 64 bits.
_HASH_SIZE = 8


@dataclass(frozen=True)
class Fingerprints:
    phash: str  # 16 hex digits
    placeholder: str  # BlurHash


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _thumbnail(image: Image.Image) -> Image.Image:
    """RGB, at most THUMB_SIDE on the long side, from the (already reduced) upright image."""
    scale = THUMB_SIDE / max(image.size)
    if scale < 1:
        # BOX: a plain average of each cell, exact for this much reduction and the cheapest filter.
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return to_rgb(image)


def dhash(image: Image.Image) -> str:
    """64-bit difference hash of `image`, as 16 hex digits (row by row, most significant bit first)."""
    # Bilinear: a smooth average over each cell; LANCZOS's sharper kernel let noise flip more bits on re-encodes.
    grey = image.convert("L").resize((_HASH_SIZE + 1, _HASH_SIZE), Image.Resampling.BILINEAR)
    pixels = grey.tobytes()
    bits = 0
    for row in range(_HASH_SIZE):
        line = pixels[row * (_HASH_SIZE + 1) : (row + 1) * (_HASH_SIZE + 1)]
        for left, right in pairwise(line):
            bits = bits << 1 | (left > right)
    return f"{bits:016x}"


# sRGB byte -> linear light, by the blurhash package's own conversion (so the sums below are of the same numbers).
_LINEAR = np.array([blurhash.srgb_to_linear(v) for v in range(256)])


def _quantised(value: float, norm: float) -> int:
    """One AC component's colour channel, as blurhash.encode quantises it (0-18)."""
    return int(max(0.0, min(18.0, math.floor(math.copysign(abs(value / norm) ** 0.5, value) * 9.0 + 9.5))))


def placeholder(image: Image.Image) -> str:
    """BlurHash of an RGB `image`: the string `blurhash.encode` gives (tests/worker compare them on many images), with
    its per-pixel cosine sums done by numpy: ~0.1 ms instead of the pure-Python encoder's ~4 ms."""
    cx, cy = (4, 3) if image.width >= image.height else (3, 4)
    width, height = image.size
    linear = _LINEAR[np.asarray(image, dtype=np.uint8)]  # height x width x 3
    # blurhash.encode's basis: norm * cos(pi * i * x / width) * cos(pi * j * y / height), the DC term's norm 1, else 2.
    along_x = np.cos(np.pi * np.arange(cx)[:, None] * np.arange(width)[None, :] / width)
    along_y = np.cos(np.pi * np.arange(cy)[:, None] * np.arange(height)[None, :] / height)
    sums = np.einsum("jy,ix,yxc->jic", along_y, along_x, linear) / (width * height)
    norms = np.full((cy, cx, 1), 2.0)
    norms[0, 0] = 1.0
    components = (sums * norms).reshape(-1, 3).tolist()
    dc, ac = components[0], components[1:]
    largest = max((abs(v) for rgb in ac for v in rgb), default=0.0)
    quant_max = int(max(0, min(82, math.floor(largest * 166 - 0.5))))
    norm = (quant_max + 1) / 166.0
    digits = [(cx - 1) + (cy - 1) * 9, quant_max]
    text = base83_encode(digits[0], 1) + base83_encode(digits[1], 1)
    text += base83_encode(sum(blurhash.linear_to_srgb(v) << shift for v, shift in zip(dc, (16, 8, 0), strict=True)), 4)
    for r, g, b in ac:
        text += base83_encode(_quantised(r, norm) * 19 * 19 + _quantised(g, norm) * 19 + _quantised(b, norm), 2)
    return str(text)


def fingerprints(upright: Image.Image) -> Fingerprints:
    """The perceptual hash and placeholder of the upright picture (any size and mode: both work on a thumbnail)."""
    small = _thumbnail(upright)
    return Fingerprints(phash=dhash(small), placeholder=placeholder(small))
