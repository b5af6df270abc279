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

# Stated before comparing: the replay's p50 and p99 must be within 30% of the measured ones. The local stack shares
# 2 cores with moto, the API and the uploading client, which the model folds into one per-job time.
TOLERANCE = 0.30


@dataclass(frozen=True)
class Validation:
    jobs: int
    concurrency: int
    measured: tuple[float, float]  # p50, p99 s
    modelled: tuple[float, float]

    @property
    def errors(self) -> tuple[float, float]:
        return tuple(m / r - 1 for m, r in zip(self.modelled, self.measured, strict=True))  # type: ignore[return-value]

    @property
    def within(self) -> bool:
        return all(abs(e) <= TOLERANCE for e in self.errors)


def replay(fleet: Fleet, trace_path: Path = E2E_TRACE) -> Validation:
    """One always-running task with the stack's concurrency. Per job: the slot time is the backlog drain's
    (jobs / s: what one job costs when the worker is saturated); the rest of a lone job's measured end-to-end time
    (upload, event, long poll, writes) is a fixed delay before the message is visible, taking no slot."""
    trace = json.loads(trace_path.read_text())
    concurrency = int(trace["worker_concurrency"])
    arrivals = np.array(trace["arrivals"]) - min(trace["arrivals"])
    measured = np.array(trace["completions"]) - np.array(trace["arrivals"])
    cpu_s = 1 / float(trace["backlog_rate"])  # one vCPU shared by `concurrency` slots -> rate 1/cpu_s
    delay = max(0.0, statistics.median(trace["isolated_seconds"]) - cpu_s)
    one = fleet.but(worker_cpu=1024, worker_concurrency=concurrency, min_tasks=1, max_tasks=1)
    result = simulate(one, JobModel(cpu_s=cpu_s, io_s=0.0, event_delay_s=delay), arrivals, dt=0.5)
    return Validation(
        jobs=len(arrivals),
        concurrency=concurrency,
        measured=(float(np.percentile(measured, 50)), float(np.percentile(measured, 99))),
        modelled=(result.percentile(50), result.percentile(99)),
    )
