"""The model against the local stack: replay bench/e2e.py's live run (its arrivals, its measured per-job times on
one worker) and compare latency percentiles with the measured ones."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.capmodel.params import E2E_TRACE, Fleet
from bench.capmodel.sim import JobModel, simulate

# Stated before comparing: the replay's p50 and p99 must be within 30% of the measured ones.
TOLERANCE = 0.30

# Where the replay's time per job comes from: the live run's own drain (what the check is stated on: it tests the
# queueing, given the service rate), or the backlog run before it (shown beside it: on the local stack the live run
# drains slower, since moto serves the uploads on the same 2 cores while the worker works).
RATES = {"live": "live_drain_rate", "backlog": "backlog_rate"}


@dataclass(frozen=True)
class Validation:
    rate: str  # a key of RATES
    jobs: int
    concurrency: int
    jobs_per_s: float
    measured: tuple[float, float]  # p50, p99 s
    modelled: tuple[float, float]

    @property
    def errors(self) -> tuple[float, float]:
        return tuple(m / r - 1 for m, r in zip(self.modelled, self.measured, strict=True))  # type: ignore[return-value]

    @property
    def within(self) -> bool:
        return all(abs(e) <= TOLERANCE for e in self.errors)


def replay(fleet: Fleet, trace_path: Path = E2E_TRACE, rate: str = "live") -> Validation:
    """One always-running task with the stack's concurrency, fed the live run's jobs when their uploads ended (the
    client's network before that is not the pipeline's). Per job: 1 / the drain rate in a slot, all slots sharing one
    vCPU (so a saturated task completes `rate` jobs/s); the rest of a lone job's measured time from upload to
    completed (event, long poll, writes) is a fixed delay before the message is visible, taking no slot. Compared:
    the run's latencies from upload to completed, which are never an input."""
    trace = json.loads(trace_path.read_text())
    concurrency = int(trace["worker_concurrency"])
    uploaded = np.array(trace["uploaded"])
    measured = np.array(trace["completions"]) - uploaded
    jobs_per_s = float(trace[RATES[rate]])
    cpu_s = 1 / jobs_per_s
    lone = statistics.median(np.array(trace["isolated_seconds"]) - np.array(trace["isolated_upload_seconds"]))
    one = fleet.but(worker_cpu=1024, worker_concurrency=concurrency, min_tasks=1, max_tasks=1)
    job = JobModel(cpu_s=cpu_s, io_s=0.0, event_delay_s=max(0.0, lone - cpu_s))
    result = simulate(one, job, uploaded - uploaded.min(), dt=0.5)
    return Validation(
        rate=rate,
        jobs=len(uploaded),
        concurrency=concurrency,
        jobs_per_s=jobs_per_s,
        measured=(float(np.percentile(measured, 50)), float(np.percentile(measured, 99))),
        modelled=(result.percentile(50), result.percentile(99)),
    )
