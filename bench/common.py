"""Shared by the benchmarks: photo-like test images, SSIM/PSNR, interleaved timing, tables, machine facts.

Everything is generated here (no fixtures on disk); generated files are cached in the temp directory, keyed by
their parameters and GENERATOR_VERSION, only so that re-runs start faster.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter, features

from harness.images import encode

GENERATOR_VERSION = 2
CACHE = Path(tempfile.gettempdir()) / f"imgpipe-bench-v{GENERATOR_VERSION}"


# --- photo-like content ----------------------------------------------------------------------------------------


def _octave(rng: np.random.Generator, width: int, height: int, cell: int) -> np.ndarray:
    """Gaussian noise on a grid of `cell`-pixel cells, smoothly upscaled: one band of a 1/f texture."""
    gw, gh = max(2, width // cell), max(2, height // cell)
    small = np.clip(rng.normal(128, 48, (gh, gw)), 0, 255).astype(np.uint8)
    big = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.int16) - 128


def photo(width: int, height: int, seed: int = 1) -> Image.Image:
    """A photo-like RGB image: smooth colour regions, sharp-edged objects, textures at every scale, sensor grain.

    Real photos have a roughly 1/f spectrum; flat colour or pure white noise would make decoders, resizers and
    encoders do unrealistically little or much work. Bytes per pixel at JPEG q90 land in the range of camera
    photos (about 0.3-0.6), and a 12 MP PNG of it is about 20 MB, like a PNG of a real photo.
    """
    rng = np.random.default_rng(seed)
    # Large regions of colour (sky, walls, objects), blended smoothly.
    layout = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    base = Image.fromarray(layout).resize((width, height), Image.Resampling.BICUBIC)
    # Objects with hard edges.
    draw = ImageDraw.Draw(base)
    short = min(width, height)
    for _ in range(40):
        x, y = int(rng.integers(width)), int(rng.integers(height))
        r = int(rng.integers(short // 40, short // 6)) + 1
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            points = [(x + int(rng.integers(-r, r)), y + int(rng.integers(-r, r))) for _ in range(5)]
            draw.polygon(points, fill=colour)
    pixels = np.asarray(base, dtype=np.int16).copy()
    # Texture: octaves from large to fine cells, amplitude falling with scale (about 1/f).
    texture = np.zeros((height, width), dtype=np.int16)
    for cell, weight in ((max(2, short // 8), 6), (max(2, short // 40), 4), (24, 3), (6, 2), (2, 1)):
        texture += _octave(rng, width, height, cell) * weight // 8
    pixels += texture[:, :, None]
    del texture
    # Per-channel texture so colours vary too, then luminance grain.
    for channel in range(3):
        pixels[:, :, channel] += _octave(rng, width, height, 12) // 6
    grain = np.asarray(Image.effect_noise((width, height), 10), dtype=np.int16) - 128
    pixels += (grain * 3 // 4)[:, :, None]
    del grain
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    del pixels
    # Optics and demosaicing soften the finest detail of a real photo.
    return image.filter(ImageFilter.GaussianBlur(0.6))


def jpeg_bytes(image: Image.Image, *, orientation: int | None = None, quality: int = 90) -> bytes:
    options: dict[str, object] = {"quality": quality}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    return encode(image, "JPEG", **options)


def cached(name: str, make: Callable[[], bytes]) -> bytes:
    """`make()`'s bytes, generated once per machine (the key must name every parameter)."""
    path = CACHE / name
    if path.exists():
        return path.read_bytes()
    data = make()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def photo_jpeg(width: int, height: int, seed: int = 1, orientation: int | None = None, quality: int = 90) -> bytes:
    return cached(
        f"photo-{width}x{height}-s{seed}-o{orientation}-q{quality}.jpg",
        lambda: jpeg_bytes(photo(width, height, seed), orientation=orientation, quality=quality),
    )


def photo_png(width: int, height: int, seed: int = 1) -> bytes:
    # compress_level 6 is Pillow's default, as most tools write.
    return cached(f"photo-{width}x{height}-s{seed}.png", lambda: encode(photo(width, height, seed), "PNG"))


# --- image quality ---------------------------------------------------------------------------------------------


def _luma(image: Image.Image) -> np.ndarray:
    """BT.601 luma as float64 (what SSIM is conventionally computed on for colour images)."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    return np.asarray(image.convert("RGB").convert("L"), dtype=np.float64)


def _gaussian_blur(a: np.ndarray, sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    """Separable Gaussian filter, 'valid' region only (as skimage's SSIM crops the border)."""
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-(x**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    rows = sum(kernel[i] * a[:, i : a.shape[1] - 2 * radius + i] for i in range(2 * radius + 1))
    assert isinstance(rows, np.ndarray)
    out = sum(kernel[i] * rows[i : rows.shape[0] - 2 * radius + i, :] for i in range(2 * radius + 1))
    assert isinstance(out, np.ndarray)
    return out


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM (Wang et al. 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03, L 255) of the two images' luma.

    Implemented with numpy; matches skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255) on the valid region.
    """
    if a.size != b.size:
        raise ValueError(f"sizes differ: {a.size} vs {b.size}")
    x, y = _luma(a), _luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _gaussian_blur(x), _gaussian_blur(y)
    sxx = _gaussian_blur(x * x) - mx * mx
    syy = _gaussian_blur(y * y) - my * my
    sxy = _gaussian_blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def psnr(a: Image.Image, b: Image.Image) -> float:
    x = np.asarray(a.convert("RGB"), dtype=np.float64)
    y = np.asarray(b.convert("RGB"), dtype=np.float64)
    mse = float(np.mean((x - y) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- timing and reporting --------------------------------------------------------------------------------------


@dataclass
class Timings:
    """Seconds per run: wall clock, and CPU time of this process (all its threads).

    On a shared machine the CPU time of single-threaded work barely moves when other processes compete for the
    cores, while wall time does; per-image cost is therefore compared on CPU time, and wall time is shown too.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def interleaved(cases: Mapping[str, Callable[[], object]], rounds: int, warmup: int = 1) -> dict[str, Timings]:
    """Run every case once per round, in rotating order, so that machine noise hits all of them alike."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times = {name: Timings() for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            wall, cpu = time.perf_counter(), time.process_time()
            cases[name]()
            times[name].cpu.append(time.process_time() - cpu)
            times[name].wall.append(time.perf_counter() - wall)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) — with few samples, p99 is the worst one, not an interpolation."""
    ordered = sorted(values)
    rank = max(1, int(np.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = []
    if title:
        lines += ["", f"## {title}", ""]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"
    return str(value)


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = features.version("libjpeg_turbo") or "?"
    return (
        f"nproc {os.cpu_count()}, CPU {model}, Python {platform.python_version()}, Pillow {PIL.__version__} "
        f"(libjpeg-turbo {libs}, libwebp {features.version('webp')}, zlib {features.version('zlib')}), "
        f"numpy {np.__version__}, {platform.system()} {platform.release()}"
    )


def header(title: str) -> None:
    print(f"# {title}\n\n{machine()}\nload average at start: {os.getloadavg()}\n{' '.join(sys.argv)}", flush=True)


# --- CPU of the local stack's processes ------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads), from /proc."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / CLK_TCK


class CpuMeter:
    """CPU seconds each named process spent between construction and stop()."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    @classmethod
    def of(cls, stack: Any) -> CpuMeter:
        """The local stack's moto, API and live workers, and this process (the benchmark's client)."""
        pids = {"moto": stack.moto.process.pid, "bench client": os.getpid()}
        if stack.api is not None:
            pids["api"] = stack.api.process.pid
        pids |= {w.name: w.process.pid for w in stack.workers if w.alive()}
        return cls(pids)

    def stop(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}
