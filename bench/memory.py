"""Issue 6, target 2: peak RSS of the image stage, per job and with 1, 2, 4 jobs at once (and, with --ocr, of the
local OCR step).

    PYTHONPATH=. .venv/bin/python bench/memory.py [--concurrency 1 2 4] [--no-worst-case] [--quick] [--png]
    PYTHONPATH=. .venv/bin/python bench/memory.py --ocr   # issue 13.6: the local OCR step, strips vs ordinary

Each measurement runs in a fresh interpreter (`--child`): it imports the stage, warms the codecs up on a tiny
image, records its RSS as the baseline, resets the kernel's peak-RSS mark (`/proc/self/clear_refs`, falling back
to ru_maxrss when that is not writable), then runs N image stages in N threads, as the worker does, each on its
own copy of the input bytes (the worker downloads each job's bytes). Reported: peak RSS minus baseline, i.e. what N
concurrent jobs add to an idle worker; the input bytes are part of it. tracemalloc would miss Pillow's C buffers.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import CACHE, cached, header, photo, photo_jpeg, photo_png, table
from harness.images import encode

MiB = 1024 * 1024


def _status(field: str) -> int:
    """A VmRSS/VmHWM-style field of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def child(path: str, concurrency: int, impl: str) -> None:
    from core.config import Settings
    from worker.stages.image import process_image

    settings = Settings()
    if impl == "v0":  # the stage as first committed (bench/stage.py), for the before/after figure
        from bench.stage import v0

        def process_image(data: bytes, settings: Settings) -> object:  # type: ignore[misc]
            return v0(data)

    process_image(encode(photo(64, 48), "JPEG"), settings)  # codecs loaded, allocator warmed, before baseline
    process_image(encode(photo(64, 48), "PNG"), settings)
    raw = Path(path).read_bytes()
    baseline = _status("VmRSS")
    precise = _reset_peak()
    before_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    inputs = [bytes(bytearray(raw)) for _ in range(concurrency)]  # one download per job
    del raw
    errors: list[BaseException] = []
    barrier = threading.Barrier(concurrency)

    def job(data: bytes) -> None:
        barrier.wait()
        try:
            process_image(data, settings)
        except BaseException as exc:  # reported, not swallowed
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=job, args=(inputs[i],)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    peak = _status("VmHWM") if precise else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if not precise and peak <= before_max:
        peak = before_max  # the import-time peak was higher: the figure is an upper bound
    print(
        json.dumps(
            {
                "baseline": baseline,
                "peak": peak,
                "added": peak - baseline,
                "input_bytes": len(inputs[0]) * concurrency,
                "seconds": elapsed,
                "precise": precise,
                "errors": [repr(e) for e in errors],
            }
        )
    )


def _strip_png(width: int, height: int) -> bytes:
    """A white strip: the whole upload is ~100 bytes, whatever its length."""
    from PIL import Image

    return encode(Image.new("L", (width, height), 255), "PNG")


# The OCR step's inputs: name -> bytes of the upload (the image stage turns it into the OCR input first).
OCR_INPUTS: dict[str, Callable[[], bytes]] = {
    "20000x1 PNG": functools.partial(_strip_png, 20000, 1),
    "1x20000 PNG": functools.partial(_strip_png, 1, 20000),
    "12 MP JPEG 4000x3000 (ordinary)": lambda: photo_jpeg(4000, 3000),
    "1 MP JPEG 1155x866 (ordinary)": lambda: photo_jpeg(1155, 866),
}


def ocr_child(name: str) -> None:
    """Peak RSS the local OCR step adds, in this fresh process, for OCR_INPUTS[name]: the engine is loaded and
    warmed on a small image and the image stage has run before the baseline, so only the OCR step is measured."""
    from core.config import Settings
    from worker.analysis.local import analyze_local
    from worker.stages.image import process_image

    settings = Settings(analysis_engine="local")
    analyze_local(process_image(photo_jpeg(640, 480), settings).upright, settings)  # models loaded, arenas warm
    upright = process_image(OCR_INPUTS[name](), settings).upright
    baseline = _status("VmRSS")
    precise = _reset_peak()
    started = time.process_time()
    analysis = analyze_local(upright, settings)
    cpu = time.process_time() - started
    peak = _status("VmHWM") if precise else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "ocr_input": list(upright.size),
                "baseline": baseline,
                "peak": peak,
                "added": peak - baseline,
                "cpu_seconds": cpu,
                "precise": precise,
                "skipped_reason": analysis.skipped_reason,
            }
        )
    )


def measure_ocr(name: str) -> dict[str, object]:
    """ocr_child(name) in a fresh interpreter (the OCR step's peak RSS must not inherit another run's)."""
    return _run_child(["--ocr-child", name])


def _run_child(argv: list[str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.memory", *argv],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(path: Path, concurrency: int, impl: str = "product") -> dict[str, object]:
    return _run_child(["--child", str(path), "--concurrency", str(concurrency), "--impl", impl])


def _flat_rgba_png(width: int, height: int) -> bytes:
    """A diagram-like RGBA PNG: big in pixels, small in bytes, so it passes the upload byte limit."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 400):
        draw.rectangle((i, i // 2 % height, i + 300, i // 2 % height + 300), fill=(i % 256, 90, 160, 200))
    return encode(image, "PNG")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--ocr-child", help=argparse.SUPPRESS)
    parser.add_argument("--ocr", action="store_true", help="only the local OCR step's table (needs the `ocr` extra)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--impl", choices=["product", "v0"], default="product", help=argparse.SUPPRESS)
    parser.add_argument("--no-worst-case", action="store_true", help="skip the 100 MP RGBA PNG")
    parser.add_argument("--quick", action="store_true", help="12 MP JPEG, 1 job at a time (a smoke run)")
    parser.add_argument("--png", action="store_true", help="only the PNG rows")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.concurrency[0], args.impl)
        return
    if args.ocr_child:
        ocr_child(args.ocr_child)
        return
    if args.ocr:
        header("Local OCR step peak RSS (fresh process per row)")
        ocr_table()
        return
    header("Image stage peak RSS (fresh process per row)")
    # 8660 x 5773 = 49.99 MP: just under 50 MP, below max_image_pixels (100 M).
    inputs: dict[str, tuple[str, Callable[[], bytes]]] = {
        "50 MP JPEG 8660x5773": ("photo-8660x5773-s1-oNone-q90.jpg", lambda: photo_jpeg(8660, 5773)),
        "12 MP JPEG 4000x3000": ("photo-4000x3000-s1-oNone-q90.jpg", lambda: photo_jpeg(4000, 3000)),
        "12 MP PNG 4000x3000": ("photo-4000x3000-s1.png", lambda: photo_png(4000, 3000)),
    }
    if args.quick:
        inputs = {k: v for k, v in inputs.items() if k.startswith("12 MP JPEG")}
        args.concurrency = [1]
    elif args.png:
        inputs = {k: v for k, v in inputs.items() if "PNG" in k}
    if not (args.quick or args.no_worst_case):
        inputs["100 MP RGBA PNG 10000x10000 (flat)"] = (
            "flat-rgba-10000x10000.png",
            functools.partial(cached, "flat-rgba-10000x10000.png", functools.partial(_flat_rgba_png, 10000, 10000)),
        )
    rows = []
    for title, (name, make) in inputs.items():
        data = make()
        runs = [] if args.quick else [("v0", 1)]
        runs += [("product", c) for c in args.concurrency if "100 MP" not in title or c <= 2]
        for impl, concurrency in runs:
            r = measure(CACHE / name, concurrency, impl)
            added = int(r["added"]) / MiB  # type: ignore[call-overload]
            rows.append(
                [
                    title,
                    impl,
                    f"{len(data) / MiB:.1f}",
                    concurrency,
                    f"{int(r['baseline']) / MiB:.0f}",  # type: ignore[call-overload]
                    f"{added:.0f}",
                    f"{added / concurrency:.0f}",
                    f"{int(r['peak']) / MiB:.0f}",  # type: ignore[call-overload]
                    f"{float(r['seconds']):.2f}",  # type: ignore[arg-type]
                    "VmHWM" if r["precise"] else "ru_maxrss",
                    "; ".join(r["errors"]) or "-",  # type: ignore[arg-type]
                ]
            )
    table(
        [
            "input",
            "stage",
            "input MiB",
            "jobs at once",
            "baseline RSS MiB",
            "peak - baseline MiB",
            "per job MiB",
            "peak RSS MiB",
            "wall s",
            "peak from",
            "errors",
        ],
        rows,
        title="Peak RSS of the image stage (threads, as in the worker)",
    )


def ocr_table() -> None:
    from core.config import Settings

    defaults = Settings()
    rows = []
    for name in OCR_INPUTS:
        r = measure_ocr(name)
        rows.append(
            [
                name,
                "x".join(str(n) for n in r["ocr_input"]),  # type: ignore[attr-defined]
                f"{int(r['baseline']) / MiB:.0f}",  # type: ignore[call-overload]
                f"{int(r['added']) / MiB:.0f}",  # type: ignore[call-overload]
                f"{float(r['cpu_seconds']):.2f}",  # type: ignore[arg-type]
                "VmHWM" if r["precise"] else "ru_maxrss",
                r["skipped_reason"] or "-",
            ]
        )
    table(
        ["upload", "OCR input", "baseline RSS MiB", "peak - baseline MiB", "CPU s", "peak from", "skipped"],
        rows,
        title="Peak RSS of the local OCR step (engine loaded and warm; the default models, "
        f"{defaults.ocr_det_model}/{defaults.ocr_rec_model})",
    )


if __name__ == "__main__":
    main()
