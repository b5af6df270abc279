"""Issue 16.6: where a 12 MP PNG's image stage spends its CPU, step by step, next to pyvips' steps for the same outputs.

    PYTHONPATH=. .venv/bin/python bench/stage_breakdown.py [--rounds 5]

Each row runs one step the stage takes (the same library calls, on the intermediate images the stage makes), all
interleaved round by round with the whole stage and pyvips (VIPS_CONCURRENCY=1) in this one process. The product's
decode is libvips' PNG load streamed through its resize to 1024 px (worker/stages/png.py), then one copy into Pillow.
"""

from __future__ import annotations

import argparse
import hashlib
import io
from collections.abc import Callable

from PIL import Image

from bench.common import header, interleaved, median, photo_png, table
from bench.stage import SETTINGS, product
from bench.stage_pyvips import pyvips, vips
from worker.stages.fingerprints import fingerprints
from worker.stages.renditions import first_size
from worker.stages.validate import decode
from worker.stages.vips import reduced

LANCZOS = Image.Resampling.LANCZOS


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
    recipe = SETTINGS.recipes["default"]

    def wanted(size: tuple[int, int], orientation: int | None) -> tuple[int, int]:
        return first_size(size, orientation, recipe, 1024)

    loaded = pyvips.Image.pngload_source(pyvips.Source.new_from_memory(data), fail_on="error", access="sequential")
    pixels = loaded.resize(1024 / 4000, vscale=768 / 3000, kernel="lanczos3").write_to_memory()
    t1024 = decode(data, SETTINGS, first_size=wanted).image
    t512, t128 = reduced(t1024, (512, 384)), reduced(t1024, (128, 96))
    assert t512 is not None and t128 is not None
    steps: dict[str, Callable[[], object]] = {
        "the whole stage (process_image)": lambda: product(data),
        "SHA-256 of the upload": lambda: hashlib.sha256(data).digest(),
        "decode (validate.decode: Pillow's header, libvips load + resize to 1024)": lambda: decode(
            data, SETTINGS, first_size=wanted
        ),
        "  of which: libvips PNG load + lanczos3 to 1024x768": lambda: (
            pyvips.Image.pngload_source(pyvips.Source.new_from_memory(data), fail_on="error", access="sequential")
            .resize(1024 / 4000, vscale=768 / 3000, kernel="lanczos3")
            .write_to_memory()
        ),
        "  of which: copy into Pillow's RGB layout": lambda: Image.frombuffer(
            "RGB", (1024, 768), pixels, "raw", "RGB", 0, 1
        ),
        "512 and 128 from 1024 (libvips lanczos3, as the product)": lambda: (
            reduced(t1024, (512, 384)),
            reduced(t512, (128, 96)),
        ),
        "  the same with Pillow's LANCZOS (before)": lambda: (
            t1024.resize((512, 384), LANCZOS, reducing_gap=1.5),
            t512.resize((128, 96), LANCZOS, reducing_gap=1.5),
        ),
        "three JPEGs q85": lambda: [encoded(im, "JPEG", quality=85) for im in (t1024, t512, t128)],
        "WebP q80 method 0": lambda: encoded(t1024, "WEBP", quality=80, method=0),
        "dHash + BlurHash (from the 1024 image)": lambda: fingerprints(t1024),
    }
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
