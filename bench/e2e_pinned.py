"""Issue 17 part 1 (`bench/e2e.py --pinned`): the worker on a core of its own vs the image stage alone on that core.

After the local stack starts, the worker process (every thread, and any child) is pinned to CPU 1; moto, the API and
this client to CPU 0, so the AWS emulation does not take the worker's CPU, as in production. The reference is the
image stage alone in a separate process pinned to CPU 1, with the worker's concurrency, over the same bytes, in
the same run; rounds alternate: stage, stack, stage, stack.

Stack round: `jobs` uploads (8 client threads) while the (warm) worker is stopped with SIGSTOP; then SIGCONT and it
drains the backlog. Rate = jobs / (last `completed` timestamp - SIGCONT), as the stage's is jobs / its wall time.
Worker CPU per job = its CPU from SIGCONT until the queue is empty, / jobs. CPU 1 busy = the worker's CPU / the
drain's wall time (below 1.0: the worker waits, on moto or on its own threads). CPU 0 busy = (moto + API + client
CPU) / wall: near 1.0 would mean the emulator, not the worker, sets the pace.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.common import CpuMeter, photo_jpeg, photo_png, table
from bench.e2e import Client
from cli.stack import LocalStack, start_local_stack
from core.config import Settings
from harness.jobs import create_job
from worker.stages.image import process_image

STACK_CPU, WORKER_CPU = 0, 1
MiB = 2**20


@dataclass(frozen=True)
class Case:
    name: str
    content_type: str
    jobs: int  # per stack round (full run)
    quick_jobs: int

    def images(self) -> list[bytes]:
        if self.content_type == "image/png":
            return [photo_png(4000, 3000, seed=10 + i) for i in range(2)]
        width, height = (1155, 866) if self.name.startswith("1 MP") else (4000, 3000)
        return [photo_jpeg(width, height, seed=10 + i) for i in range(4)]


CASES = [
    Case("1 MP JPEG", "image/jpeg", 200, 6),
    Case("12 MP JPEG", "image/jpeg", 60, 3),
    Case("12 MP PNG", "image/png", 24, 2),
]


@dataclass
class Rounds:
    rate: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds per image
    busy0: list[float] = field(default_factory=list)  # CPU 0 busy fraction (stack rounds only)
    busy1: list[float] = field(default_factory=list)  # CPU 1 busy fraction (stack rounds only)


def enough_cpus() -> bool:
    return {STACK_CPU, WORKER_CPU} <= os.sched_getaffinity(0)


def _tasks(pid: int) -> list[int]:
    """Every thread of `pid` and of its descendants: sched_setaffinity on a pid pins only that one thread."""
    tids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        tids.append(int(task.name))
        children = (task / "children").read_text().split()
        for child in children:
            tids += _tasks(int(child))
    return tids


def pin(pid: int, cpu: int) -> None:
    for tid in _tasks(pid):
        with contextlib.suppress(ProcessLookupError):  # a request thread that ended meanwhile
            os.sched_setaffinity(tid, {cpu})


def pin_stack(stack: LocalStack) -> None:
    # Threads started later inherit the affinity of the thread that starts them; every thread is pinned now anyway.
    for service in [stack.moto, stack.api] if stack.api else [stack.moto]:
        pin(service.process.pid, STACK_CPU)
    pin(os.getpid(), STACK_CPU)
    for worker in stack.workers:
        pin(worker.process.pid, WORKER_CPU)


def _pin_self_to_worker_cpu() -> None:
    os.sched_setaffinity(0, {WORKER_CPU})


def stage_round(images: list[bytes], jobs: int, settings: Settings) -> tuple[float, float]:
    """In the reference process: images/s of the stage with the worker's concurrency, CPU seconds per image."""
    items = [images[i % len(images)] for i in range(jobs)]  # built here: only the distinct images are pickled
    with ThreadPoolExecutor(settings.worker_concurrency) as pool:
        list(pool.map(lambda d: process_image(d, settings), items[:2]))  # threads started, codecs warm
        started, cpu = time.perf_counter(), time.process_time()
        list(pool.map(lambda d: process_image(d, settings), items))
        return len(items) / (time.perf_counter() - started), (time.process_time() - cpu) / len(items)


def stack_round(stack: LocalStack, client: Client, case: Case, items: list[bytes]) -> tuple[float, float, float, float]:
    """Images/s the worker completes from a backlog, its CPU seconds per job, how busy CPUs 0 and 1 were."""
    filename = "bench.png" if case.content_type == "image/png" else "bench.jpg"
    created = [create_job(client.api, filename=filename, content_type=case.content_type, size=len(d)) for d in items]

    def upload(job: dict[str, Any], data: bytes) -> None:
        spec = job["upload"]
        response = client.uploader.post(
            spec["url"], data=spec["fields"], files={"file": ("f", data, case.content_type)}
        )
        assert response.status_code in (200, 201, 204), response.text

    # The worker is stopped while the uploads arrive, so that it starts, as the stage does, with every input
    # waiting (a message a long poll already took sits in its socket until then; the visibility timeout is 120 s).
    pids = [w.process.pid for w in stack.workers]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(upload, created, items))
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    meter, started, wall = CpuMeter.of(stack), time.time(), time.perf_counter()
    done = client.wait_completed([str(c["job_id"]) for c in created], timeout=120 + 10 * len(items))
    cpu, wall = meter.stop(), time.perf_counter() - wall
    worker = sum(v for name, v in cpu.items() if name.startswith("worker"))
    busy0 = sum(v for name, v in cpu.items() if not name.startswith("worker")) / wall
    drain = max(done) - started
    return len(done) / drain, worker / len(items), busy0, worker / drain


def measure(quick: bool) -> None:
    settings = Settings(analysis_engine="off", max_upload_bytes=32 * MiB)
    rounds = 1 if quick else 3
    load = os.getloadavg()
    results: dict[str, tuple[Rounds, Rounds]] = {}
    reference = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_pin_self_to_worker_cpu)
    with reference, start_local_stack(settings, workers=1) as stack:
        pin_stack(stack)
        client = Client(stack)
        for case in CASES:
            images = case.images()
            jobs = case.quick_jobs if quick else case.jobs
            items = [images[i % len(images)] for i in range(jobs)]
            stage, piped = Rounds(), Rounds()
            stack_round(stack, client, case, images[:2])  # warm: the worker's first job of a format loads codecs
            for _ in range(rounds):
                rate, cpu = reference.submit(stage_round, images, jobs, stack.settings).result()
                stage.rate.append(rate)
                stage.cpu.append(cpu)
                rate, cpu, busy0, busy1 = stack_round(stack, client, case, items)
                piped.busy1.append(busy1)
                piped.rate.append(rate)
                piped.cpu.append(cpu)
                piped.busy0.append(busy0)
            results[case.name] = (stage, piped)
    report(results, rounds, settings.worker_concurrency, load)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


TARGETS = {"1 MP JPEG": 0.70, "12 MP JPEG": 0.85, "12 MP PNG": 0.85}


def report(results: dict[str, tuple[Rounds, Rounds]], rounds: int, concurrency: int, load: tuple[float, ...]) -> None:
    rows: list[list[object]] = []
    for name, (stage, piped) in results.items():
        ratio = _mean(piped.rate) / _mean(stage.rate)
        target = TARGETS[name]
        busy = _mean(stage.rate) * _mean(stage.cpu)
        rows.append([f"{name}, image stage alone", _mean(stage.rate), _mean(stage.cpu) * 1000, 1.0, 1.0, busy, "", ""])
        rows.append(
            [
                f"{name}, worker in the stack",
                _mean(piped.rate),
                _mean(piped.cpu) * 1000,
                ratio,
                _mean(piped.cpu) / _mean(stage.cpu),
                _mean(piped.busy1),
                _mean(piped.busy0),
                f">= {target:.2f}: {'met' if ratio >= target else 'not met'}",
            ]
        )
    table(
        [
            "CPU 1: worker vs stage",
            "images/s",
            "CPU ms per job",
            "x stage rate",
            "x stage CPU",
            "CPU 1 busy",
            "CPU 0 busy",
            "target",
        ],
        rows,
        title=f"Pinned: worker (concurrency {concurrency}) on CPU 1, moto + API + client on CPU 0; "
        f"{rounds} interleaved round(s) each; load average at the start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
    )
    per_round = [
        [name, " / ".join(f"{r:.2f}" for r in stage.rate), " / ".join(f"{r:.2f}" for r in piped.rate)]
        for name, (stage, piped) in results.items()
    ]
    table(["images/s per round", "stage alone", "worker in the stack"], per_round, title="Round by round")


def main(quick: bool) -> int:
    if not enough_cpus():
        print(
            f"--pinned needs CPUs {STACK_CPU} and {WORKER_CPU}; this process may use {sorted(os.sched_getaffinity(0))}",
            file=sys.stderr,
        )
        return 2
    measure(quick)
    return 0
