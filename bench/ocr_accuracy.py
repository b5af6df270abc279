"""Word recall, precision and latency of the local OCR engine on a generated, labelled image set.

    python -m bench.ocr_accuracy [--clean 40] [--photo 120] [--large 0] [--seed 7] [--models tiny/tiny,tiny/small]
                                 [--scripts latin|all] [--repeat 3] [--verbose] [--check]

Images are drawn with Pillow from the TrueType fonts that the `test` extra's font packages ship (Source Sans Pro,
Source Serif Pro, Caladea, Lato; regular, semibold and bold, see harness/text_images.py). Two sets, and optionally
12 MP photos with signs on them (`--large`); every drawn word is the ground truth:
- clean: rendered text in several sizes and colours, some with noise, blur or a slight rotation;
- photo-like: label and receipt lines (digits against letters, units, prices, symbols) the way a phone photo of
  them looks (harness/photo_text.py): text 16-26 px, low contrast on an unevenly lit surface, sensor noise, a
  slight shear, JPEG; each condition is drawn independently per image and reported per level.
Each model pair runs every set; figures: word recall and precision, a character figure (characters matched in
reading order, spaces aside), missed words by cause, and latency per image (least CPU time and best wall time of
`--repeat` calls: what the machine does when nothing else competes; run it under `taskset -c 1` for one core).
`--check` exits 1 unless the default models meet the targets (photo-like recall >= 0.95, clean >= 0.99, median
<= 150 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ocr_scoring import Sample, Score, Timed, run
from core.config import Settings
from harness.photo_text import Condition, label_lines, photo_text
from harness.text_images import FONTS_HINT, draw_lines, find_fonts, render_text
from worker.analysis.local import analyze_local, ocr_engine

_VOCABULARY_TEXT = (
    "Invoice Total Amount Due Date Paid Order Number Customer Street Avenue Road City Station Platform Exit "
    "Entrance Open Closed Monday Tuesday Friday Sunday Coffee Bakery Market Pharmacy Hotel Parking Welcome "
    "Please Thank you for visiting our store Receipt Price Quantity Item Discount Tax Subtotal Cash Card "
    "Change Phone Email Address Office Library Museum Garden North South East West Warning Danger Keep "
    "Left Right Stop Slow School Hospital Airport Terminal Gate Departure Arrival Delayed Cancelled "
    "Express Delivery Package Tracking Manager Report Summary Project Budget Quarter Annual Meeting Room "
    "OPEN SALE EXIT STOP NEW FREE 2024 2025 42.50 19.99 100 7 365 12:30 08:15 A4 B12 No.5 #4021 50% "
    "imgpipe Python Pillow Cloud Storage Bucket Queue Worker Thumbnail Photo Camera Light Shadow"
)
VOCABULARY = tuple(_VOCABULARY_TEXT.split())

BACKGROUNDS_AND_INKS = (
    ((255, 255, 255), (0, 0, 0)),
    ((250, 248, 240), (30, 30, 90)),
    ((20, 20, 20), (245, 245, 245)),
    ((200, 30, 40), (255, 255, 255)),
    ((240, 220, 120), (40, 40, 40)),
    ((30, 70, 140), (255, 230, 0)),
    ((225, 235, 225), (10, 90, 30)),
    ((120, 120, 120), (255, 255, 255)),
)


def _noise(image: Image.Image, amount: float, rng: random.Random) -> Image.Image:
    noise = Image.effect_noise(image.size, 40 + rng.random() * 30).convert("RGB")
    return Image.blend(image, noise, amount)


def small_samples(count: int, fonts: list[Path], rng: random.Random) -> list[Sample]:
    samples = []
    for i in range(count):
        font = fonts[i % len(fonts)]
        lines = [rng.sample(VOCABULARY, rng.randint(2, 5)) for _ in range(rng.randint(1, 4))]
        size = rng.choice((16, 20, 24, 28, 36, 48))
        background, ink = BACKGROUNDS_AND_INKS[rng.randrange(len(BACKGROUNDS_AND_INKS))]
        image = render_text(lines, font, size, background=background, ink=ink, margin=rng.randint(12, 80))
        variant = i % 5
        if variant == 1:
            image = _noise(image, 0.12, rng)
        elif variant == 2:
            image = image.rotate(
                rng.uniform(-3, 3), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=background
            )
        elif variant == 3:
            image = image.filter(ImageFilter.GaussianBlur(0.8))
        elif variant == 4:
            image = _noise(image.rotate(rng.uniform(-2, 2), expand=True, fillcolor=background), 0.08, rng)
        samples.append(
            Sample(
                f"clean-{i:02d} {font.stem} {size}px v{variant} {image.width}x{image.height}",
                image,
                [" ".join(line) for line in lines],
                conditions={"lines": str(len(lines))},
            )
        )
    return samples


# Photo-like set: each image draws every condition independently, so each level's row is a mean over the others.
PHOTO_CONDITIONS: dict[str, tuple[tuple[str, dict[str, float]], ...]] = {
    "text size": (("16 px", {"font_size": 16}), ("20 px", {"font_size": 20}), ("26 px", {"font_size": 26})),
    "contrast": (("0.2", {"contrast": 0.2}), ("0.3", {"contrast": 0.3}), ("0.45", {"contrast": 0.45})),
    "noise (sd)": (("4", {"noise": 4.0}), ("8", {"noise": 8.0}), ("14", {"noise": 14.0})),
    "shear": (("0", {"shear": 0.0}), ("0.08", {"shear": 0.08}), ("0.15", {"shear": 0.15})),
    "JPEG quality": (("40", {"quality": 40}), ("55", {"quality": 55}), ("75", {"quality": 75})),
}


def photo_samples(count: int, fonts: list[Path], rng: random.Random) -> list[Sample]:
    """Label and receipt lines the way a phone photo of them looks (harness/photo_text.py), 1-3 lines each, every
    font in turn."""
    samples = []
    for i in range(count):
        font = fonts[i % len(fonts)]
        levels = {name: rng.choice(choices) for name, choices in PHOTO_CONDITIONS.items()}
        fields: dict[str, Any] = {k: v for _, values in levels.values() for k, v in values.items()}
        condition = Condition(**fields)
        lines = label_lines(rng, rng.randint(1, 3))
        image = photo_text(lines, font, condition, rng)
        conditions = {name: level for name, (level, _) in levels.items()}
        tag = " ".join(f"{level}" for level in conditions.values())
        samples.append(
            Sample(
                f"photo-{i:03d} {font.stem} [{tag}] {image.width}x{image.height}", image, lines, conditions=conditions
            )
        )
    return samples


def photo(width: int, height: int, seed: int) -> Image.Image:
    """Photo-like content (gradient, blobs, noise), like harness.images.photo, at any size."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for _ in range(24):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(min(width, height) // 6) + 10
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(base, noise, 0.15).filter(ImageFilter.SMOOTH)


def large_samples(count: int, fonts: list[Path], rng: random.Random) -> list[Sample]:
    """12 MP photos carrying a few signs (text on a plate) of different sizes."""
    samples = []
    for i in range(count):
        image = photo(4000, 3000, seed=rng.randrange(10**6))
        draw = ImageDraw.Draw(image)
        text: list[str] = []
        for j, (x, y, size) in enumerate(((200, 250, 120), (2200, 900, 90), (400, 1900, 150), (2300, 2300, 70))):
            font = ImageFont.truetype(str(fonts[(i * 4 + j) % len(fonts)]), size)
            lines = [rng.sample(VOCABULARY, rng.randint(2, 3)) for _ in range(2)]
            text_w = max(int(draw.textlength(" ".join(line), font=font)) for line in lines)
            background, ink = BACKGROUNDS_AND_INKS[(i + j) % len(BACKGROUNDS_AND_INKS)]
            pad = size // 2
            draw.rectangle((x - pad, y - pad, x + text_w + pad, y + int(size * 1.6) * 2 + pad), fill=background)
            draw_lines(draw, (x, y), lines, font, ink)
            text += [" ".join(line) for line in lines]
        samples.append(Sample(f"large-{i} 4000x3000", image, text, large=True))
    return samples


def reduced(image: Image.Image, side: int = 1024) -> Image.Image:
    """What the pipeline hands the analysis stage for a big upload: the 1024 px processed rendition."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return copy


def _models(text: str) -> list[tuple[str, str]]:
    pairs = [tuple(item.split("/")) for item in text.split(",") if item]
    if not pairs or any(len(p) != 2 or not set(p) <= {"tiny", "small"} for p in pairs):
        raise argparse.ArgumentTypeError("models: comma-separated DET/REC pairs of tiny|small, e.g. tiny/small")
    return [(p[0], p[1]) for p in pairs]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _row(name: str, result: Timed, repeat: int) -> str:
    return (
        f"| {name} | {result.score.expected} | {result.score.recall:.3f} | {result.score.precision:.3f} | "
        f"{result.score.char_recall:.3f} | {result.score.summary().split('missed: ')[1]} | "
        f"{_median(result.cpu):.0f} | {_median(result.best):.0f} | {max(result.first, default=0):.0f} |"
    )


def _by_condition(samples: list[Sample], results: dict[str, Timed]) -> None:
    """One row per condition level: word recall / character figure per model choice."""
    names = list(results)
    print(f"| condition | level | words | {' | '.join(f'{n}: words / chars' for n in names)} |")
    print(f"|---|---|---|{'---|' * len(names)}")
    conditions = list(dict.fromkeys(k for s in samples for k in s.conditions))
    for condition in conditions:
        levels = list(dict.fromkeys(s.conditions[condition] for s in samples if condition in s.conditions))
        for level in sorted(levels, key=lambda v: float(v.split()[0])):
            picks = [i for i, s in enumerate(samples) if s.conditions.get(condition) == level]
            cells, words = [], 0
            for name in names:
                score = Score()
                for i in picks:
                    score.merge(results[name].per_sample[i])
                words = score.expected
                cells.append(f"{score.recall:.3f} / {score.char_recall:.3f}")
            print(f"| {condition} | {level} | {words} | {' | '.join(cells)} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", "--small", type=int, default=40, help="clean rendered text images")
    parser.add_argument("--photo", type=int, default=120, help="photo-like label and receipt images")
    parser.add_argument("--large", type=int, default=0, help="12 MP photos carrying signs")
    parser.add_argument("--seed", type=int, default=7)
    defaults = Settings()
    parser.add_argument("--threads", type=int, default=defaults.ocr_threads, help="onnxruntime threads per call")
    default_models = f"{defaults.ocr_det_model}/{defaults.ocr_rec_model}"
    parser.add_argument(
        "--models",
        type=_models,
        default=_models(f"tiny/tiny,{default_models}" if default_models != "tiny/tiny" else "tiny/tiny,tiny/small"),
        help="DET/REC model pairs to compare, comma-separated (default: tiny/tiny and the default pair)",
    )
    parser.add_argument("--scripts", choices=("latin", "all"), default=defaults.ocr_scripts)
    parser.add_argument("--repeat", type=int, default=3, help="calls per image; the best is reported beside the first")
    parser.add_argument("--verbose", action="store_true", help="print every image, not only those with misses")
    parser.add_argument("--check", action="store_true", help="exit 1 unless the default models meet the targets")
    args = parser.parse_args(argv)

    fonts = find_fonts()
    if not fonts:
        print(f"no fonts: {FONTS_HINT}")
        return 2
    rng = random.Random(args.seed)
    print(f"fonts: {', '.join(sorted({f.stem for f in fonts}))}")
    load_start = os.getloadavg()[0]
    sets = {"clean": small_samples(args.clean, fonts, rng), "photo-like": photo_samples(args.photo, fonts, rng)}
    large = large_samples(args.large, fonts, rng)
    sets |= {"12 MP, full size": large}
    sets |= {"12 MP, 1024 px rendition": [Sample(s.name, reduced(s.image), s.lines, large=True) for s in large]}
    for name, samples in sets.items():
        if samples:
            kpx = _median([s.image.width * s.image.height / 1000 for s in samples])
            print(f"{name}: {len(samples)} images, median {kpx:.0f} kpx, {sum(len(s.words) for s in samples)} words")

    results: dict[tuple[str, str], Timed] = {}
    for det, rec in args.models:
        settings = Settings(
            analysis_engine="local",
            ocr_threads=args.threads,
            ocr_det_model=det,
            ocr_rec_model=rec,
            ocr_scripts=args.scripts,
        )
        started = time.perf_counter()
        _, version = ocr_engine(settings)
        analyze_local(Image.new("RGB", (64, 64), "white"), settings)  # first inference initialises the sessions
        print(f"\nengine: {version}; load + first call: {(time.perf_counter() - started) * 1000:.0f} ms")
        for name, samples in sets.items():
            if samples:
                print(f"{det}/{rec}, {name}:")
                results[(f"{det}/{rec}", name)] = run(samples, settings, args.verbose, args.repeat)

    print(
        f"\n| models (det/rec) {args.scripts} | set | words | recall | precision | chars | missed words by cause | "
        f"median CPU ms | median best-of-{args.repeat} ms | max first ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (models, name), result in results.items():
        print(_row(f"{models} | {name}", result, args.repeat))
    for name in ("photo-like", "clean"):
        print(f"\n{name} set by condition:")
        _by_condition(sets[name], {m: r for (m, n), r in results.items() if n == name})
    print(
        f"\nload average: {load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end, {os.cpu_count()} CPUs; "
        f"CPUs this process may use: {sorted(os.sched_getaffinity(0))}"
    )

    default = f"{defaults.ocr_det_model}/{defaults.ocr_rec_model}"
    photo, clean = results.get((default, "photo-like")), results.get((default, "clean"))
    if photo is None or clean is None:
        return 0
    ok = (
        photo.score.recall >= 0.95
        and clean.score.recall >= 0.99
        and max(_median(photo.best), _median(clean.best)) <= 150
    )
    print(
        f"targets ({default}: photo-like recall >= 0.95, clean >= 0.99, median <= 150 ms): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
