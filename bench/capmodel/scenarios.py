"""Scenarios (load profile + fleet + job model) and the search for the cheapest settings meeting a latency goal."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.capmodel import cost, facts, profiles
from bench.capmodel.params import Fleet, JobCosts
from bench.capmodel.sim import JobModel, Result, simulate
from core.config import MiB, Settings

IMAGE = "12 MP JPEG 4000x3000 q90"  # a phone photo: the input the scenarios assume (from bench/stage.py)
# Fargate sizes tried (CPU units, MiB): the deployed 2 GiB per vCPU kept.
SIZES = ((512, 1024), (1024, 2048), (2048, 4096))
# A task must hold `worker_concurrency` worst-case jobs in their image work: bench/memory.py's figures (bench/README.md,
# "Fargate sizing"): ~110 MiB of worker plus up to ~430 MiB per job (a 100 MP RGBA PNG); and as many uploads read and
# waiting for a slot (worker/consumer.py), each at most IMGPIPE_MAX_UPLOAD_BYTES.
WORKER_MIB, WORST_JOB_MIB = 110, 430
WAITING_UPLOAD_MIB = Settings.model_fields["max_upload_bytes"].default / MiB


@dataclass(frozen=True)
class Scenario:
    name: str
    uploads: np.ndarray


def scenarios(quick: bool, trace: Path | None) -> list[Scenario]:
    if quick:
        out = [
            Scenario("steady 1/s for 10 min", profiles.steady(1, 600)),
            Scenario("burst 2,000 images in 2 min", profiles.burst(2000, 120)),
            Scenario("daily cycle, 6 h of a mean 1/s day", profiles.daily(1, days=0.25)),
        ]
    else:
        out = [
            Scenario("steady 1/s for 1 h", profiles.steady(1, 3600)),
            Scenario("steady 20/s for 1 h", profiles.steady(20, 3600)),
            Scenario("burst 50,000 images in 10 min", profiles.burst(50_000, 600)),
            Scenario("daily cycle, mean 5/s, peak 2x", profiles.daily(5)),
        ]
    if trace is not None:
        out.append(Scenario(f"trace {trace.name}", profiles.from_csv(trace)))
    return out


def job_model(costs: JobCosts, fleet: Fleet, analysis: bool) -> JobModel:
    del fleet  # per-job costs do not depend on the task size; sharing the vCPUs does (JobModel.service_s)
    # The claim and the read happen in hand before the slot; Rekognition's calls in it.
    return JobModel(
        cpu_s=costs.stage_cpu_s[IMAGE] + costs.worker_overhead_cpu_s,
        io_s=facts.ANALYSIS_SECONDS.value if analysis else 0.0,
        head_s=facts.IO_SECONDS.value,
        tail_s=facts.TAIL_SECONDS.value,
    )


@dataclass(frozen=True)
class Run:
    scenario: str
    fleet: Fleet
    result: Result
    cost: cost.Cost

    def row(self) -> list[object]:
        r = self.result
        return [
            self.scenario,
            r.jobs,
            int(r.backlog.max()) if len(r.backlog) else 0,
            f"{r.percentile(50):.1f}",
            f"{r.percentile(99):.1f}",
            f"{np.nanmax(r.latencies):.0f}" if r.jobs else "-",
            int(r.running.max()) if len(r.running) else 0,
            f"{r.task_seconds / 3600:.2f}",
            f"{self.cost.fargate:.4f}",
            f"{self.cost.total - self.cost.fargate:.4f}",
            f"{self.cost.total:.4f}",
        ]


HEADERS = [
    "scenario",
    "images",
    "peak backlog",
    "p50 s",
    "p99 s",
    "max s",
    "peak tasks",
    "task-hours",
    "Fargate $/1k",
    "S3+SQS+DDB+SNS(+Rek.) $/1k",
    "total $/1k images",
]


def run(scenario: Scenario, fleet: Fleet, costs: JobCosts, analysis: bool, dt: float) -> Run:
    result = simulate(fleet, job_model(costs, fleet, analysis), scenario.uploads, dt=dt)
    in_out = costs.io_bytes[IMAGE]
    price = cost.per_1000(result, fleet.cpu_architecture, sum(in_out), fleet.worker_concurrency, analysis)
    return Run(scenario.name, fleet, result, price)


def candidates(deployed: Fleet, quick: bool) -> list[Fleet]:
    """Settings to try: backlog target per task, min tasks, task size, concurrency (max tasks: deployed and 10x)."""
    if quick:
        grid = itertools.product((deployed.backlog_per_task_target,), (0, 1), SIZES[1:2], (2,), (deployed.max_tasks,))
    else:
        grid = itertools.product(
            (6.0, 24.0, 96.0), (0, 1, 3), SIZES, (1, 2, 4), (deployed.max_tasks, 10 * deployed.max_tasks)
        )
    fleets = [
        deployed.but(
            backlog_per_task_target=target,
            min_tasks=low,
            worker_cpu=cpu,
            worker_memory=mem,
            worker_concurrency=conc,
            max_tasks=high,
        )
        for target, low, (cpu, mem), conc, high in grid
    ]
    per_slot = WORST_JOB_MIB + WAITING_UPLOAD_MIB
    return [f for f in fleets if f.worker_memory >= WORKER_MIB + f.worker_concurrency * per_slot]


def recommend(
    scenario: Scenario,
    deployed: Fleet,
    costs: JobCosts,
    analysis: bool,
    goal: float,
    quick: bool,
    dt: float,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[Run | None, Run]:
    """The cheapest run with p99 <= goal (None if no candidate meets it), and the lowest-p99 run."""
    runs = [run(scenario, fleet, costs, analysis, dt) for fleet in candidates(deployed, quick)]
    progress(f"{scenario.name}: {len(runs)} settings tried")
    meeting = [r for r in runs if r.result.percentile(99) <= goal]
    cheapest = min(meeting, key=lambda r: r.cost.total) if meeting else None
    fastest = min(runs, key=lambda r: (r.result.percentile(99), r.cost.total))
    return cheapest, fastest


def settings_text(fleet: Fleet) -> str:
    """The Terraform variables that give `fleet` (the backlog target is set through acceptable_latency_seconds)."""
    acceptable = fleet.backlog_per_task_target * fleet.avg_processing_seconds / fleet.worker_concurrency
    return (
        f"worker_cpu={fleet.worker_cpu} worker_memory={fleet.worker_memory} "
        f"worker_concurrency={fleet.worker_concurrency} worker_min_capacity={fleet.min_tasks} "
        f"worker_max_capacity={fleet.max_tasks} backlog/task={fleet.backlog_per_task_target:g} "
        f"(acceptable_latency_seconds={math.ceil(acceptable)} "
        f"at avg_processing_seconds={fleet.avg_processing_seconds:g})"
    )
