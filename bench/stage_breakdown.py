"""Issue 16.6: where a 12 MP PNG's image stage spends its CPU, step by step, next to pyvips' steps for the same outputs.

    PYTHONPATH=. .venv/bin/python bench/stage_breakdown.py [--rounds 5]

Each row runs one step the stage takes (the same library calls, on the intermediate images the stage makes), all
interleaved round by round with the whole stage and pyvips (if installed, VIPS_CONCURRENCY=1) in this one process.
The inflate rows decode the PNG's own IDAT stream alone: zlib 1.2.13 is what imagecodecs' libspng links, zlib-ng
what pyvips-binary's libspng links.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import struct
from collections.abc import Callable

os.environ.setdefault("VIPS_CONCURRENCY", "1")

import imagecodecs
from PIL import Image

from bench.common import header, interleaved, median, photo_png, table
from bench.stage import SETTINGS, product, pyvips, vips
from worker.stages.fingerprints import fingerprints
from worker.stages.validate import decode

LANCZOS = Image.Resampling.LANCZOS


def idat_stream(data: bytes) -> bytes:
    """The zlib stream of a PNG: its IDAT chunks' data, joined."""
    pos, parts = 8, []
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        if data[pos + 4 : pos + 8] == b"IDAT":
            parts.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    header("Where a 12 MP PNG's image stage spends its CPU")
    data = photo_png(4000, 3000)
    stream = idat_stream(data)
    raw_size = 4000 * 3000 * 3 + 3000  # RGB rows, each with its filter byte
    pixels = imagecodecs.spng_decode(data)
    decoded = decode(data, SETTINGS, longest_needed=1024).image
    halved = decoded.reduce(2)
    t1024 = halved.resize((1024, 768), LANCZOS)
    t512 = t1024.resize((512, 384), LANCZOS, reducing_gap=1.5)
    t128 = t512.resize((128, 96), LANCZOS, reducing_gap=1.5)
    steps: dict[str, Callable[[], object]] = {
        "the whole stage (process_image)": lambda: product(data),
        "SHA-256 of the upload": lambda: hashlib.sha256(data).digest(),
        "libspng decode (imagecodecs, zlib 1.2.13)": lambda: imagecodecs.spng_decode(data),
        "  of which: inflate alone, zlib 1.2.13": lambda: imagecodecs.zlib_decode(stream, out=raw_size),
        "copy into Pillow's RGB layout": lambda: Image.fromarray(pixels),
        "2x box reduce (Image.reduce)": lambda: decoded.reduce(2),
        "LANCZOS 2000x1500 -> 1024x768": lambda: halved.resize((1024, 768), LANCZOS),
        "LANCZOS 1024 -> 512 and 512 -> 128": lambda: (
            t1024.resize((512, 384), LANCZOS),
            t512.resize((128, 96), LANCZOS),
        ),
        "three JPEGs q85": lambda: [encoded(im, "JPEG", quality=85) for im in (t1024, t512, t128)],
        "WebP q80 method 0": lambda: encoded(t1024, "WEBP", quality=80, method=0),
        "dHash + BlurHash (from the 1024 image)": lambda: fingerprints(t1024),
        "inflate alone, zlib-ng (as pyvips-binary's)": lambda: imagecodecs.zlibng_decode(stream, out=raw_size),
    }
    if pyvips is not None:
        pyvips.cache_set_max(0)
        load = "fail_on=error"
        front = pyvips.Image.thumbnail_buffer(data, 1024, size="down").copy_memory()
        smaller = [front.thumbnail_image(size).copy_memory() for size in (512, 128)]
        steps |= {
            "pyvips: whole, default (fail_on=none)": lambda: vips(data),
            "pyvips: whole, strict (fail_on=error + SHA-256)": lambda: vips(data, strict=True),
            "pyvips: pngload to memory, fail_on=none": lambda: pyvips.Image.pngload_buffer(data).copy_memory(),
            "pyvips: pngload to memory, fail_on=error": lambda: pyvips.Image.pngload_buffer(
                data, fail_on="error"
            ).copy_memory(),
            "pyvips: thumbnail to 1024 (load + resize)": lambda: pyvips.Image.thumbnail_buffer(
                data, 1024, size="down", option_string=load
            ).copy_memory(),
            "pyvips: 512 and 128 from 1024": lambda: front.thumbnail_image(512).thumbnail_image(128).copy_memory(),
            "pyvips: three JPEGs Q85": lambda: [im.jpegsave_buffer(Q=85, keep="none") for im in (front, *smaller)],
            "pyvips: WebP Q80 effort 0": lambda: front.webpsave_buffer(Q=80, effort=0, keep="none"),
        }
    times = interleaved(steps, args.rounds)
    whole = median(times["the whole stage (process_image)"].cpu)
    rows = [[name, median(t.cpu) * 1000, f"{median(t.cpu) / whole:.0%}"] for name, t in times.items()]
    table(["step", "CPU ms", "of the stage"], rows, title=f"12 MP PNG, median of {args.rounds} interleaved rounds")


if __name__ == "__main__":
    main()
