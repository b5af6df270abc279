"""Issue 16.6: HEIC decode, AVIF encode per speed setting and smart-crop costs, next to pyvips' equivalents.

Run by bench/stage.py after its stage tables (same process, same rounds, interleaved the same way); each table's
ratios are to its naive reference and to pyvips in the same rounds. pillow-heif (HEIC) and pyvips are optional here:
without them those rows say so.
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from bench.common import cached, interleaved, median, open_image, photo, ssim, table
from core.analysis import BoundingBox
from core.config import Settings
from core.recipes import Gravity
from worker.crop import crop_box
from worker.stages.image import process_image

try:
    import pillow_heif
except ImportError:
    pillow_heif = None

SETTINGS = Settings()
# AVIF speeds asked of Pillow (libavif: 0 slowest .. 10 fastest; Pillow's default 6). pyvips' effort is 9 - speed
# (effort 0 = speed 9), so speed 10 has no pyvips twin.
AVIF_SPEEDS = (10, 9, 8, 6, 4)
AVIF_QUALITY = 75  # Pillow's default; pyvips is asked the same Q


def _cpu_ms(times: Any) -> float:
    return median(times.cpu) * 1000


def spread(num: Any, den: Any) -> str:
    """Per-round ratio range num/den (the same round's figures: what noise does to the ratio)."""
    ratios = sorted(n / d for n, d in zip(num.cpu, den.cpu, strict=True) if d)
    return f"{ratios[0]:.2f}-{ratios[-1]:.2f}" if ratios else "-"


# --- HEIC decode -----------------------------------------------------------------------------------------------


def heic_bytes(width: int = 4000, height: int = 3000) -> bytes:
    assert pillow_heif is not None

    def make() -> bytes:
        buffer = io.BytesIO()
        pillow_heif.from_pillow(photo(width, height)).save(buffer, quality=85)
        return buffer.getvalue()

    return cached(f"photo-{width}x{height}-s1-q85.heic", make)


def _heif_decode(data: bytes, threads: int | None = None) -> Image.Image:
    assert pillow_heif is not None
    previous = pillow_heif.options.DECODE_THREADS
    if threads is not None:
        pillow_heif.options.DECODE_THREADS = threads
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    finally:
        pillow_heif.options.DECODE_THREADS = previous


def heic(rounds: int, vips: Any, naive: Callable[[bytes], object]) -> None:
    if pillow_heif is None:
        print("\nHEIC decode: skipped (pillow-heif is not installed)")
        return
    pillow_heif.register_heif_opener()
    data = heic_bytes()
    cases: dict[str, Callable[[], object]] = {
        "naive stage on the HEIC (full decode, a LANCZOS resize per size)": functools.partial(naive, data),
        "pillow-heif decode (libde265, its default threads)": functools.partial(_heif_decode, data),
        "pillow-heif decode, 1 thread": functools.partial(_heif_decode, data, 1),
    }
    try:
        process_image(data, SETTINGS)
        cases["product stage"] = functools.partial(process_image, data, SETTINGS)
    except Exception as exc:  # HEIC not accepted (yet): the row says why
        print(f"product stage on HEIC: not run ({type(exc).__name__}: {exc})")
    vips_note = "pyvips not installed"
    if vips is not None:
        try:
            vips.Image.heifload_buffer(data).avg()
            cases["pyvips heifload"] = lambda: vips.Image.heifload_buffer(data).copy_memory()
        except vips.Error as exc:
            message = str(exc)
            vips_note = "no HEVC decoder in this libheif" if "HEVC" in message else message.strip()[:80]
    times = interleaved(cases, rounds)
    naive_t = times[next(iter(cases))]
    rows = [
        [name, _cpu_ms(t), _cpu_ms(naive_t) / _cpu_ms(t), spread(naive_t, t), median(t.wall) * 1000]
        for name, t in times.items()
    ]
    if "pyvips heifload" not in cases:
        rows.append(["pyvips heifload", "n/a", "", "", vips_note])
    table(
        ["12 MP HEIC", "CPU ms", "naive stage / this", "range over rounds", "wall ms"],
        rows,
        title=f"HEIC decode, 4000x3000 photo ({len(data) // 1024} KB, x265 q85): median of {rounds} rounds",
    )


# --- AVIF encode -----------------------------------------------------------------------------------------------


def _pillow_avif(image: Image.Image, speed: int | None) -> bytes:
    buffer = io.BytesIO()
    options = {} if speed is None else {"speed": speed, "quality": AVIF_QUALITY}
    image.save(buffer, "AVIF", **options)
    return buffer.getvalue()


def avif(rounds: int, vips: Any, source: bytes) -> None:
    image = process_image(source, SETTINGS).upright  # the 1024 px rendition, what `processed` is encoded from
    cases: dict[str, Callable[[], bytes]] = {"naive: Pillow defaults": functools.partial(_pillow_avif, image, None)}
    for speed in AVIF_SPEEDS:
        cases[f"pillow speed {speed}"] = functools.partial(_pillow_avif, image, speed)
    if vips is not None:
        vimage = vips.Image.new_from_memory(image.tobytes(), image.width, image.height, 3, "uchar")
        for effort in sorted({9 - speed for speed in AVIF_SPEEDS if speed <= 9}):
            cases[f"pyvips effort {effort}"] = functools.partial(
                vimage.heifsave_buffer, compression="av1", effort=effort, Q=AVIF_QUALITY, keep="none"
            )
    times = interleaved(cases, rounds)
    naive_t = times["naive: Pillow defaults"]
    rows = []
    for speed in (None, *AVIF_SPEEDS):
        name = "naive: Pillow defaults" if speed is None else f"pillow speed {speed}"
        out = cases[name]()
        row: list[object] = [
            name,
            _cpu_ms(times[name]),
            _cpu_ms(naive_t) / _cpu_ms(times[name]),
            len(out) // 1024,
            f"{ssim(image, open_image(out)):.4f}",
        ]
        vname = f"pyvips effort {9 - speed}" if speed is not None else None
        if vname and vname in cases:
            vout = cases[vname]()
            vt = times[vname]
            row += [
                vname,
                _cpu_ms(vt),
                len(vout) // 1024,
                f"{ssim(image, open_image(vout)):.4f}",
                _cpu_ms(vt) / _cpu_ms(times[name]),
                spread(vt, times[name]),
            ]
        else:
            row += ["", "", "", "", "", ""]
        rows.append(row)
    table(
        [
            "Pillow AVIF",
            "CPU ms",
            "x naive",
            "KB",
            "SSIM vs source",
            "pyvips heifsave av1",
            "CPU ms",
            "KB",
            "SSIM vs source",
            "x pyvips",
            "range",
        ],
        rows,
        title=f"AVIF encode of the {image.width}x{image.height} rendition (quality {AVIF_QUALITY}): "
        f"median of {rounds} rounds",
    )


# --- smart crop ------------------------------------------------------------------------------------------------


# For gravity `faces`: one face, as the analysis would report it (ratios of the upright image).
_FACE = BoundingBox(left=0.6, top=0.2, width=0.15, height=0.25)
# Our rows: (label, gravity, faces given); pyvips' smartcrop has no face gravity.
_OURS: tuple[tuple[str, Gravity, list[BoundingBox] | None], ...] = (
    ("center", Gravity.CENTER, None),
    ("entropy", Gravity.ENTROPY, None),
    ("attention", Gravity.ATTENTION, None),
    ("faces, one face given", Gravity.FACES, [_FACE]),
    ("faces, no detector (falls back to attention)", Gravity.FACES, None),
)
_VIPS_INTERESTING = {Gravity.CENTER: "centre", Gravity.ENTROPY: "entropy", Gravity.ATTENTION: "attention"}


def _ours(image: Image.Image, gravity: Gravity, size: tuple[int, int], faces: list[BoundingBox] | None) -> object:
    return image.crop(crop_box(image, *size, gravity, faces=faces).box)


# The local engine finds the faces first (once per job, whatever the number of crops): timed with the crop, when the
# `ocr` extra (onnxruntime) is installed.
_LOCAL_DETECTOR = "faces, local detector (find + crop)"


def _ours_detected(image: Image.Image, size: tuple[int, int]) -> object:
    from worker.analysis.faces import detect_faces

    faces = [face.box for face in detect_faces(image)]
    return image.crop(crop_box(image, *size, Gravity.FACES, faces=faces).box)


def crop(rounds: int, vips: Any, source: bytes) -> None:
    image = process_image(source, SETTINGS).upright
    size = (min(image.size), min(image.size))  # a square: the most cropped-away of the usual aspect ratios
    cases: dict[str, Callable[[], object]] = {
        f"ours {label}": functools.partial(_ours, image, gravity, size, faces) for label, gravity, faces in _OURS
    }
    detector = importlib.util.find_spec("onnxruntime") is not None
    if detector:
        cases[f"ours {_LOCAL_DETECTOR}"] = functools.partial(_ours_detected, image, size)
    if vips is not None:
        vimage = vips.Image.new_from_memory(image.tobytes(), image.width, image.height, 3, "uchar")
        for gravity, name in _VIPS_INTERESTING.items():
            cases[f"pyvips {gravity.value}"] = functools.partial(
                lambda n: vimage.smartcrop(*size, interesting=n).copy_memory(), name
            )
    times = interleaved(cases, rounds)
    rows = []
    for label, gravity, _ in _OURS:
        ours = times.get(f"ours {label}")
        theirs = times.get(f"pyvips {gravity.value}") if gravity in _VIPS_INTERESTING else None
        rows.append(
            [
                label,
                _cpu_ms(ours) if ours else "",
                _cpu_ms(theirs) if theirs else "n/a",
                _cpu_ms(theirs) / _cpu_ms(ours) if ours and theirs else "",
                spread(theirs, ours) if ours and theirs else "",
            ]
        )
    if detector:
        rows.append([_LOCAL_DETECTOR, _cpu_ms(times[f"ours {_LOCAL_DETECTOR}"]), "n/a", "", ""])
    table(
        ["gravity", "ours CPU ms (crop_box + crop)", "pyvips smartcrop CPU ms", "x pyvips", "range"],
        rows,
        title=f"Smart crop of the {image.width}x{image.height} rendition to {size[0]}x{size[1]}: "
        f"median of {rounds} rounds",
    )


def run(rounds: int, vips: Any, naive: Callable[[bytes], object], jpeg: bytes) -> None:
    heic(rounds, vips, naive)
    avif(rounds, vips, jpeg)
    crop(rounds, vips, jpeg)
