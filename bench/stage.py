"""Issue 6, target 1: the image stage per image, naive vs the product (and pyvips), with SSIM of every output.

    PYTHONPATH=. .venv/bin/python bench/stage.py [--rounds 9] [--no-tuning] [--no-codecs] [--quick] [--json-out FILE]

--json-out writes the product's median CPU ms and output bytes per input: bench/capacity.py reads its per-image
costs from the committed bench/results/stage.json.

All implementations run in this one process, interleaved round by round on the same bytes, so machine noise
(2 shared cores) hits them alike; the figures that matter are the ratios to `naive` in the same table.

- naive: full decode, EXIF transpose of the full image, a LANCZOS resize of the full image for each size, Pillow's
  default encoder settings (JPEG quality 85 as configured; WebP quality 80, method 4 = Pillow's defaults).
- v0: the image stage as first committed (draft decode, copy+thumbnail cascade, reducing_gap 2.0, WebP method 4),
  frozen here so the gain of each later change stays measurable.
- product: worker.stages.image.process_image, as it is now (plain PNGs decoded by libvips, streamed through its resize
  to the first rendition's size: worker/stages/png.py).
- pyvips (bench/stage_pyvips.py): thumbnail_buffer/thumbnail_image (shrink-on-load), one libvips thread, operation
  cache off. `pyvips strict`: fails on damaged PNGs and hashes the upload, as the product.

Then (bench/stage_codecs.py, not with --quick or --no-codecs) HEIC decode, AVIF encode per speed setting and
smart-crop costs next to pyvips', in the same interleaved rounds.

The tuning tables vary one knob at a time around the product's choice (`variant()` re-implements the stage with
knobs; its product setting is checked to produce byte-identical outputs to the product).
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from bench import stage_codecs
from bench.common import (
    header,
    interleaved,
    median,
    open_image,
    photo_jpeg,
    photo_png,
    psnr,
    ssim,
    table,
)
from bench.stage_pyvips import OUTPUTS, SIZES, Outputs, describe, pyvips, vips
from core.config import Settings
from harness.images import encode
from worker.imaging import flatten_on_white, normalize_mode, swaps_sides, upright, upright_size
from worker.stages.image import process_image
from worker.stages.renditions import first_size
from worker.stages.thumbnails import fitted_size
from worker.stages.validate import decode
from worker.stages.vips import reduced

SETTINGS = Settings()


# --- implementations -------------------------------------------------------------------------------------------


def naive_images(data: bytes) -> dict[str, Image.Image]:
    """What the naive path encodes: the 'ideal' pixels every output is also compared against."""
    opened = Image.open(io.BytesIO(data))
    opened.load()
    image = ImageOps.exif_transpose(opened)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = {f"thumb-{s}.jpg": image.resize(fitted_size(image.size, s), Image.Resampling.LANCZOS) for s in SIZES}
    out["processed.webp"] = out["thumb-1024.jpg"]
    return out


def naive(data: bytes) -> Outputs:
    images = naive_images(data)
    out = {name: encode(images[name], "JPEG", quality=SETTINGS.thumbnail_quality) for name in OUTPUTS[:3]}
    out["processed.webp"] = encode(images["processed.webp"], "WEBP", quality=SETTINGS.processed_quality)
    return out


def v0(data: bytes) -> Outputs:
    """The stage as first committed: draft, then copy()+thumbnail(reducing_gap=2.0) per size, WebP method 4."""
    image = Image.open(io.BytesIO(data))
    orientation = image.getexif().get(0x0112)
    if image.format == "JPEG":
        ratio = 1024 / max(image.size)
        if ratio < 1:
            image.draft(None, (math.ceil(image.width * ratio), math.ceil(image.height * ratio)))
    image.load()
    current = normalize_mode(image)
    by_size: dict[int, Image.Image] = {}
    first = True
    for size in SIZES:
        step = current.copy()
        step.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        if first:
            step, first = upright(step, orientation), False
        by_size[size] = current = step
    out = {f"thumb-{s}.jpg": encode(flatten_on_white(by_size[s]), "JPEG", quality=85) for s in SIZES}
    out["processed.webp"] = encode(by_size[1024], "WEBP", quality=80, method=4)
    return out


def product(data: bytes) -> Outputs:
    return {r.name: r.data for r in process_image(data, SETTINGS).renditions}


def variant(
    data: bytes,
    *,
    gap: float | None = 2.0,
    first_filter: Image.Resampling = Image.Resampling.LANCZOS,
    rest_filter: Image.Resampling = Image.Resampling.LANCZOS,
    webp_method: int = 4,
    transpose: str = "first",  # "decoded" | "first" (after the first resize) | "each" (every output)
    copy: bool = True,
    jpeg: dict[str, Any] | None = None,
) -> Outputs:
    """The stage with knobs, built from the product's own decode/normalize/upright/flatten."""
    recipe = SETTINGS.recipes["default"]
    decoded = decode(
        data,
        SETTINGS,
        longest_needed=1024,
        first_size=lambda size, orientation: first_size(size, orientation, recipe, 1024),
    )
    current = normalize_mode(decoded.image)
    orientation = decoded.exif_orientation
    if transpose == "decoded":
        current = upright(current, orientation)
    by_size: dict[int, Image.Image] = {}
    swaps = swaps_sides(orientation)
    source = upright_size((decoded.width, decoded.height), orientation)
    for i, size in enumerate(SIZES):
        target = fitted_size(source, size)  # as the product: every size fitted to the upright source
        if swaps and (transpose == "each" or (transpose == "first" and i == 0)):
            target = (target[1], target[0])  # `current` is not upright yet
        if target == current.size:
            step = current
        elif copy:
            step = current.copy()
            step.thumbnail((size, size), first_filter if i == 0 else rest_filter, reducing_gap=gap)
        elif i > 0 and rest_filter is Image.Resampling.LANCZOS and (smaller := reduced(current, target)) is not None:
            step = smaller  # as the product: later reductions by libvips' lanczos3
        else:
            step = current.resize(target, first_filter if i == 0 else rest_filter, reducing_gap=gap)
        if i == 0 and transpose == "first":
            step = upright(step, orientation)
        by_size[size] = current = step
    if transpose == "each":
        by_size = {s: upright(im, orientation) for s, im in by_size.items()}
    options = {"quality": 85, **(jpeg or {})}
    out = {f"thumb-{s}.jpg": encode(flatten_on_white(by_size[s]), "JPEG", **options) for s in SIZES}
    out["processed.webp"] = encode(by_size[1024], "WEBP", quality=80, method=webp_method)
    return out


# What the product does now, in variant() terms (checked byte-identical below).
PRODUCT_KNOBS: dict[str, Any] = {"gap": 1.5, "webp_method": 0, "copy": False}


# --- measurement -----------------------------------------------------------------------------------------------


def quality(reference: Outputs, ideal: dict[str, Image.Image], candidate: Outputs) -> dict[str, tuple[float, float]]:
    """Per output: SSIM vs the naive output (both decoded), and SSIM vs the naive path's pixels before encoding."""
    scores = {}
    for name in OUTPUTS:
        out = open_image(candidate[name])
        scores[name] = (ssim(open_image(reference[name]), out), ssim(ideal[name], out))
    return scores


def _ms(values: list[float]) -> float:
    return median(values) * 1000


def compare(title: str, data: bytes, impls: dict[str, Callable[[bytes], Outputs]], rounds: int) -> dict[str, float]:
    times = interleaved({name: functools.partial(f, data) for name, f in impls.items()}, rounds)
    reference, ideal = impls["naive"](data), naive_images(data)
    base_cpu, base_wall = median(times["naive"].cpu), median(times["naive"].wall)
    rows, qrows = [], []
    medians = {}
    for name, f in impls.items():
        out = f(data)
        q = quality(reference, ideal, out)
        medians[name] = median(times[name].cpu)
        rows.append(
            [
                name,
                _ms(times[name].cpu),
                _ms(times[name].wall),
                base_cpu / median(times[name].cpu),
                stage_codecs.spread(times["naive"], times[name]),
                base_wall / median(times[name].wall),
                sum(len(out[n]) for n in OUTPUTS[:3]) // 1024,
                len(out["processed.webp"]) // 1024,
            ]
        )
        qrows.append(
            [
                name,
                f"{min(v for v, _ in list(q.values())[:3]):.4f}",
                *(f"{q[n][0]:.4f} / {q[n][1]:.4f}" for n in OUTPUTS),
                f"{psnr(open_image(reference['thumb-1024.jpg']), open_image(out['thumb-1024.jpg'])):.1f}",
            ]
        )
    table(
        ["implementation", "CPU ms", "wall ms", "x naive (CPU)", "range", "x naive (wall)", "3 JPEGs KB", "WebP KB"],
        rows,
        title=f"{title} ({len(data) // 1024} KB): median of {rounds} interleaved rounds",
    )
    table(
        ["implementation", "min thumb SSIM", *(f"{n} SSIM vs naive / vs ideal" for n in OUTPUTS), "PSNR 1024 dB"],
        qrows,
        title=f"{title}: output quality (ideal = the naive path's LANCZOS pixels before encoding)",
    )
    return medians


def tuning(title: str, data: bytes, rounds: int) -> None:
    """One knob at a time around the product's settings; ratios are to the product setting in the same run."""
    base = dict(PRODUCT_KNOBS)
    grid: dict[str, dict[str, Any]] = {"product setting": {}}
    for m in (0, 1, 2, 4, 6):
        grid[f"webp method {m}"] = {"webp_method": m}
    for gap in (None, 1.0, 1.5, 2.0, 3.0):
        grid[f"reducing_gap {gap}"] = {"gap": gap}
    for name, f in (("BICUBIC", Image.Resampling.BICUBIC), ("HAMMING", Image.Resampling.HAMMING)):
        grid[f"first resize {name}"] = {"first_filter": f}
        grid[f"later resizes {name}"] = {"rest_filter": f}
    grid["transpose decoded"] = {"transpose": "decoded"}
    grid["transpose after 1st resize"] = {"transpose": "first"}
    grid["transpose each output"] = {"transpose": "each"}
    grid["copy()+thumbnail()"] = {"copy": True}
    grid["resize() (no copy)"] = {"copy": False}
    grid["jpeg optimize"] = {"jpeg": {"optimize": True}}
    grid["jpeg progressive"] = {"jpeg": {"progressive": True}}
    grid["jpeg subsampling 4:4:4"] = {"jpeg": {"subsampling": 0}}
    cases: dict[str, Callable[[], Outputs]] = {
        name: functools.partial(variant, data, **{**base, **knobs}) for name, knobs in grid.items()
    }
    times = interleaved(cases, rounds)
    reference, ideal = naive(data), naive_images(data)
    ref_cpu = median(times["product setting"].cpu)
    rows = []
    for name in grid:
        out = cases[name]()
        q = quality(reference, ideal, out)
        rows.append(
            [
                name,
                _ms(times[name].cpu),
                median(times[name].cpu) / ref_cpu,
                _ms(times[name].wall),
                *(f"{q[n][0]:.4f} / {q[n][1]:.4f}" for n in OUTPUTS),
                sum(len(out[n]) for n in OUTPUTS[:3]) // 1024,
                len(out["processed.webp"]) // 1024,
            ]
        )
    table(
        [
            "variant",
            "CPU ms",
            "CPU / product",
            "wall ms",
            *(f"{n} SSIM vs naive / ideal" for n in OUTPUTS),
            "3 JPEGs KB",
            "WebP KB",
        ],
        rows,
        title=f"Tuning on {title}: one knob at a time around {PRODUCT_KNOBS}, median of {rounds} rounds",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-tuning", action="store_true", help="skip the one-knob-at-a-time tables")
    parser.add_argument("--tuning-only", action="store_true", help="only the tuning tables")
    parser.add_argument("--quick", action="store_true", help="1 MP JPEG only, 1 round, no tuning (a smoke run)")
    parser.add_argument("--no-codecs", action="store_true", help="skip the HEIC/AVIF/smart-crop tables")
    parser.add_argument("--json-out", help="write the product's CPU ms and output bytes per input to this file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.no_tuning, args.no_codecs = 1, True, True
    header("Image stage per image: naive vs product")
    if pyvips is not None:
        print(describe())
    inputs = {"1 MP JPEG 1155x866 q90": photo_jpeg(1155, 866)}
    if not args.quick:
        inputs = {
            "12 MP JPEG 4000x3000 q90": photo_jpeg(4000, 3000),
            "12 MP JPEG 4000x3000 q90, EXIF orientation 6": photo_jpeg(4000, 3000, seed=2, orientation=6),
            "12 MP PNG 4000x3000 RGB": photo_png(4000, 3000),
            **inputs,
        }
    for data in inputs.values():
        check = variant(data, **PRODUCT_KNOBS)
        assert check == product(data), "variant(**PRODUCT_KNOBS) no longer matches the product"
    impls: dict[str, Callable[[bytes], Outputs]] = {"naive": naive, "v0": v0, "product": product}
    if pyvips is not None:
        impls["pyvips (effort 0)"] = vips
        impls["pyvips (effort 4)"] = lambda d: vips(d, effort=4)
        impls["pyvips strict (effort 0)"] = lambda d: vips(d, strict=True)
    results: dict[str, dict[str, float]] = {}
    if not args.tuning_only:
        for title, data in inputs.items():
            medians = compare(title, data, impls, args.rounds)
            cpu = medians["product"]
            out = product(data)
            results[title] = {
                "cpu_ms": cpu * 1000,
                # The same round's naive path: the ratio to it is what survives a busy machine.
                "naive_cpu_ms": medians["naive"] * 1000,
                "x_naive": medians["naive"] / cpu,
                "input_bytes": len(data),
                "output_bytes": sum(map(len, out.values())),
            }
    if args.json_out:
        meta = {"measured": time.strftime("%Y-%m-%d"), "rounds": args.rounds, "machine": platform.machine()}
        meta["nproc"], meta["loadavg"] = os.cpu_count() or 0, os.getloadavg()[0]
        Path(args.json_out).write_text(json.dumps({**meta, "product": results}, indent=1) + "\n")
    if not (args.no_codecs or args.tuning_only):
        stage_codecs.run(args.rounds, pyvips, naive, inputs["12 MP JPEG 4000x3000 q90"])
    if not args.no_tuning:
        tuning("12 MP JPEG", inputs["12 MP JPEG 4000x3000 q90"], max(5, args.rounds // 2 + 1))
        tuning("12 MP PNG", inputs["12 MP PNG 4000x3000 RGB"], max(3, args.rounds // 3))


if __name__ == "__main__":
    main()
