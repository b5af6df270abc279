"""Issue 6, target 3: does the image stage use both cores with threads (as the worker runs it), or are processes needed?

    PYTHONPATH=. .venv/bin/python bench/threads.py [--images 200] [--rounds 3] [--quick]

200 mixed images (JPEG and PNG, 0.3-12 MP, some EXIF-rotated, all photo-like) go through
worker.stages.image.process_image with 1, 2 and 4 threads, and with 2 processes, in rotating order, `--rounds`
times. Throughput is images/s over the whole set; the ratio is to 1 thread in the same round.

Because other processes share the machine, every run also records how many cores this benchmark itself used
(its CPU seconds / wall seconds: the GIL would show as < 2 for 2 threads on an idle machine) and how busy the
whole machine was (from /proc/stat), so a low ratio can be told apart from a busy neighbour.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import random
import resource
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.common import cached, header, jpeg_bytes, median, photo, table
from core.config import Settings
from harness.images import encode
from worker.stages.image import process_image

SETTINGS = Settings()
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUIET = 0.25  # cores used by other processes below which a round counts as quiet


def mixed_images(count: int, seed: int = 6) -> list[tuple[str, bytes]]:
    """`count` distinct uploads: crops of a few large generated photos, resized and re-encoded.

    About 45% 12 MP JPEGs (a quarter of them EXIF-rotated phone shots), 25% 2-5 MP JPEGs, 10% small JPEGs,
    20% PNGs of 0.3-2 MP (screenshot-sized).
    """
    rng = random.Random(seed)
    masters = [photo(4000, 3000, seed=100 + i) for i in range(6)]
    kinds: list[tuple[str, tuple[int, int]]] = []
    for i in range(count):
        r = i % 20
        if r < 9:
            kinds.append(("jpeg", (4000, 3000)))
        elif r < 14:
            kinds.append(("jpeg", rng.choice([(1920, 1080), (2048, 1536), (2592, 1944), (1600, 1200)])))
        elif r < 16:
            kinds.append(("jpeg", rng.choice([(640, 480), (1024, 768), (800, 533)])))
        else:
            kinds.append(("png", rng.choice([(1920, 1080), (1280, 800), (800, 600), (1440, 900)])))
    out = []
    for i, (fmt, (w, h)) in enumerate(kinds):
        master = masters[i % len(masters)]
        # A random window of the master with the target's aspect, resized: distinct pixels per image.
        scale = rng.uniform(0.6, 1.0)
        cw, ch = min(4000, int(4000 * scale)), min(3000, int(4000 * scale * h / w))
        x, y = rng.randrange(4000 - cw + 1), rng.randrange(3000 - ch + 1)
        image = master.crop((x, y, x + cw, y + ch)).resize((w, h), Image.Resampling.BICUBIC)
        if fmt == "jpeg":
            orientation = 6 if (w, h) == (4000, 3000) and i % 4 == 0 else None
            data = jpeg_bytes(image, orientation=orientation, quality=rng.choice([85, 90, 95]))
        else:
            data = encode(image, "PNG")
        out.append((f"{fmt} {w}x{h}", data))
    return out


def cached_mix(count: int) -> list[tuple[str, bytes]]:
    """The mix, cached in the temp directory as one file per image."""
    names = [f"mix-{count}-{i}" for i in range(count)]
    made: list[tuple[str, bytes]] | None = None

    def make(i: int) -> bytes:
        nonlocal made
        made = made or mixed_images(count)
        return made[i][0].encode() + b"\n" + made[i][1]

    items = []
    for i, name in enumerate(names):
        label, _, data = cached(name, functools.partial(make, i)).partition(b"\n")
        items.append((label.decode(), data))
    return items


def _stage(data: bytes) -> int:
    outcome = process_image(data, SETTINGS)
    return sum(len(r.data) for r in outcome.renditions)


def _warm(_: int) -> int:
    return _stage(encode(photo(64, 48), "JPEG"))


def _machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def _children_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(parts[11]) + int(parts[12])) / CLK_TCK  # utime, stime
    return total


@dataclass
class Run:
    wall: float
    own_cpu: float  # CPU seconds of this benchmark (threads, or the pool's processes)
    machine_cpu: float  # CPU seconds of the whole machine in the same interval

    def cores_used(self) -> float:
        return self.own_cpu / self.wall

    def others(self) -> float:
        return max(0.0, (self.machine_cpu - self.own_cpu) / self.wall)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def run(make_pool: Callable[[], Executor], items: list[bytes]) -> Run:
    with make_pool() as pool:
        list(pool.map(_warm, range(8)))  # threads/processes started, codecs loaded: not timed
        pids = list(getattr(pool, "_processes", None) or {})

        def own() -> float:
            return _children_cpu(pids) if pids else _own_cpu()

        cpu0, machine0, started = own(), _machine_busy(), time.perf_counter()
        list(pool.map(_stage, items))
        wall = time.perf_counter() - started
        cpu1, machine1 = own(), _machine_busy()
    return Run(wall, cpu1 - cpu0, machine1 - machine0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 images, 1 round (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.images, args.rounds = 20, 1
    header("Image stage throughput: threads vs processes")
    mix = cached_mix(args.images)
    items = [data for _, data in mix]
    megapixels = 0.0
    for data in items:
        with Image.open(io.BytesIO(data)) as im:
            megapixels += im.width * im.height / 1e6
    kinds: dict[str, int] = {}
    for label, _ in mix:
        kinds[label] = kinds.get(label, 0) + 1
    print(
        f"{len(items)} images, {megapixels:.0f} MP, {sum(map(len, items)) / 2**20:.0f} MiB: "
        + ", ".join(f"{n} x {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    )
    configs: dict[str, Callable[[], Executor]] = {
        "1 thread": lambda: ThreadPoolExecutor(1),
        "2 threads (worker default)": lambda: ThreadPoolExecutor(2),
        "4 threads": lambda: ThreadPoolExecutor(4),
        "2 processes": lambda: ProcessPoolExecutor(2),
    }
    results: dict[str, list[Run]] = {name: [] for name in configs}
    names = list(configs)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(run(configs[name], items))
            last = results[name][-1]
            print(
                f"  round {r + 1}: {name}: {len(items) / last.wall:.2f} images/s, "
                f"{last.cores_used():.2f} cores used by us, {last.others():.2f} by other processes",
                flush=True,
            )
    rows = []
    for name in names:
        ratios = [results["1 thread"][i].wall / results[name][i].wall for i in range(args.rounds)]
        runs = results[name]
        # Rounds in which neither run shared the machine much: the ratio the cores themselves allow.
        quiet = [
            r
            for r, i in zip(ratios, range(args.rounds), strict=True)
            if results["1 thread"][i].others() < QUIET and runs[i].others() < QUIET
        ]
        rows.append(
            [
                name,
                len(items) / median([x.wall for x in runs]),
                megapixels / median([x.wall for x in runs]),
                median(ratios),
                f"{min(ratios):.2f}-{max(ratios):.2f}",
                f"{median(quiet):.2f}" if quiet else "-",
                median([x.own_cpu for x in runs]) / len(items) * 1000,
                median([x.cores_used() for x in runs]),
                max(x.cores_used() for x in runs),
                median([x.others() for x in runs]),
            ]
        )
    table(
        [
            "configuration",
            "images/s",
            "MP/s",
            "x 1 thread (same round)",
            "range",
            f"x 1 thread, rounds with others < {QUIET} cores",
            "CPU ms/image",
            "cores used by us",
            "max cores used by us",
            "cores used by others",
        ],
        rows,
        title=f"Throughput over {len(items)} mixed images, median of {args.rounds} rounds",
    )
    print(
        "\nThreads whose work the GIL serialised could never use more than 1.0 core together: 'max cores used by us'"
        "\nabove 1 for a thread pool shows Pillow's decode/resize/encode running in parallel. The ratios to 1 thread"
        "\nonly reach ~2 when the other processes leave the second core free (see 'cores used by others')."
    )


if __name__ == "__main__":
    main()
