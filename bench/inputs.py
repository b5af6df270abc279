"""Issue 16, points 1 and 5: the image stage's CPU cost per upload format, and what the fingerprints add.

    PYTHONPATH=. .venv/bin/python bench/inputs.py [--rounds 5] [--quick]

The same photo-like 12 MP picture (bench.common.photo, 4000x3000) encoded as each accepted format, run through
worker.stages.image.process_image (CPU ms, median, interleaved round by round). Then, on the 12 MP JPEG, the parts
the fingerprints add: SHA-256 of the upload's bytes, and the dHash + BlurHash of the upright image (from its 32 px
thumbnail), each also as a share of the JPEG's whole image stage.
"""

from __future__ import annotations

import argparse
import io

from PIL import Image

from bench.common import cached, header, interleaved, median, photo, photo_jpeg, table
from core.config import Settings
from harness.images import encode
from worker.stages.fingerprints import fingerprints, sha256_hex
from worker.stages.image import process_image

SETTINGS = Settings()
# Each format at about the quality a phone or an export tool would write.
_OPTIONS: dict[str, dict[str, object]] = {
    "HEIF": {"quality": 80},
    "AVIF": {"quality": 75},
    "WEBP": {"quality": 85},
    "TIFF": {"compression": "tiff_deflate"},
    "PNG": {},
}


def _inputs(width: int, height: int) -> dict[str, bytes]:
    inputs = {"JPEG": photo_jpeg(width, height)}
    for fmt, options in _OPTIONS.items():
        name = f"photo-{width}x{height}-s1.{fmt.lower()}"
        inputs[fmt] = cached(name, lambda fmt=fmt, options=options: encode(photo(width, height), fmt, **options))
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 MP, 1 round (a smoke run)")
    args = parser.parse_args()
    width, height, rounds = (1200, 900, 1) if args.quick else (4000, 3000, args.rounds)
    megapixels = width * height / 1e6
    header(f"Image stage per upload format, {megapixels:.0f} MP ({width}x{height})")

    inputs = _inputs(width, height)
    times = interleaved({fmt: lambda data=data: process_image(data, SETTINGS) for fmt, data in inputs.items()}, rounds)
    jpeg_ms = median(times["JPEG"].cpu) * 1000
    rows = [
        [fmt, f"{len(data) / 1e6:.2f}", median(times[fmt].cpu) * 1000, f"{median(times[fmt].cpu) * 1000 / jpeg_ms:.2f}"]
        for fmt, data in inputs.items()
    ]
    table(
        ["format", "upload MB", "stage CPU ms", "x JPEG"], rows, title="Whole image stage (decode to encoded outputs)"
    )

    data = inputs["JPEG"]
    upright = process_image(data, SETTINGS).upright
    with Image.open(io.BytesIO(data)) as check:
        assert check.size == (width, height)
    parts = interleaved(
        {"sha256 of the upload": lambda: sha256_hex(data), "dHash + BlurHash": lambda: fingerprints(upright)},
        rounds * 4,
    )
    rows = [[name, median(t.cpu) * 1000, f"{median(t.cpu) * 1000 / jpeg_ms * 100:.1f}%"] for name, t in parts.items()]
    table(
        ["part", "CPU ms", "of the JPEG stage"],
        rows,
        title=f"What the fingerprints add to a {megapixels:.0f} MP JPEG ({len(data) / 1e6:.1f} MB)",
    )


if __name__ == "__main__":
    main()
