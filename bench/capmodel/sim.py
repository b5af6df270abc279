"""The fleet, simulated: SQS backlog, worker tasks with `worker_concurrency` slots, and both scaling policies.

Time advances in steps of `dt` seconds, but a job starts at max(slot free, message visible (or in the task's hand) and
task running, plus its claim and read), so its latency is not rounded to the step; the scaling policies act on
one-minute CloudWatch datapoints (facts.py), which they see one period late. Tasks are billed from launch to stop
(Fargate bills from image pull to termination).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from bench.capmodel import facts
from bench.capmodel.params import Fleet


@dataclass(frozen=True)
class JobModel:
    cpu_s: float  # CPU seconds per job on one vCPU: image stage + the worker's own overhead (measured)
    io_s: float  # wall seconds waiting on AWS per job in its slot (not CPU; analysis adds Rekognition's latency)
    event_delay_s: float = facts.EVENT_DELAY.value
    # Wall seconds in hand before the slot (the claim and the read of the upload): they overlap the jobs ahead's image
    # work while the task holds room for the message, which it does for `worker_concurrency` messages beyond its
    # slots (worker/consumer.py); a job whose turn comes sooner waits for them in a free slot.
    head_s: float = 0.0
    tail_s: float = 0.0  # wall seconds after the job gave its slot back (storing, recording, publishing): latency only

    def service_s(self, busy: int, vcpu: float) -> float:
        """A job's wall time with `busy` jobs (itself included) sharing the task's vCPUs."""
        return self.io_s + self.cpu_s / min(1.0, vcpu / busy)


@dataclass
class Task:
    launched: float
    ready: float
    slots: list[float]  # when each slot is free
    stopping: bool = False
    starts: list[float] = field(default_factory=list)  # when its jobs took their slots, in order


@dataclass
class Result:
    minutes: np.ndarray
    arrivals: np.ndarray  # uploads per minute
    backlog: np.ndarray  # visible messages at the end of each minute
    running: np.ndarray  # running tasks at the end of each minute
    desired: np.ndarray
    p50: np.ndarray  # latency of the jobs completed in each minute (nan: none)
    p99: np.ndarray
    latencies: np.ndarray  # per job, upload to completed, s
    task_seconds: float
    vcpu: float
    memory_gb: float

    @property
    def jobs(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.jobs else math.nan


@dataclass
class Scaler:
    fleet: Fleet
    desired: int
    visible: list[float] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    last_out: float = -math.inf
    last_in: float = -math.inf
    last_step: float = -math.inf

    def evaluate(self, now: float) -> None:
        """One CloudWatch period: the policies see the datapoints up to the previous minute."""
        f, seen_v, seen_r = self.fleet, self.visible[:-1], self.running[:-1]
        metric = [v / (r if r > 0 else 1) for v, r in zip(seen_v, seen_r, strict=True)]
        n_out, n_in = int(facts.SCALE_OUT_DATAPOINTS.value), int(facts.SCALE_IN_DATAPOINTS.value)
        target = f.backlog_per_task_target
        if len(metric) >= n_out and all(m > target for m in metric[-n_out:]):
            wanted = min(f.max_tasks, math.ceil(self.desired * metric[-1] / target))
            if wanted > self.desired and now - self.last_out >= f.scale_out_cooldown:
                self.desired, self.last_out = wanted, now
        margin = facts.SCALE_IN_MARGIN.value * target
        if len(metric) >= n_in and all(m < margin for m in metric[-n_in:]):
            wanted = max(f.min_tasks, math.ceil(self.desired * metric[-1] / target))
            if wanted < self.desired and now - self.last_in >= f.scale_in_cooldown:
                self.desired, self.last_in = wanted, now
        n_zero = f.from_zero_evaluation_periods
        if f.min_tasks == 0 and len(seen_v) >= n_zero:
            alarm = all(v > 0 and r == 0 for v, r in zip(seen_v[-n_zero:], seen_r[-n_zero:], strict=True))
            if alarm and now - self.last_step >= f.from_zero_cooldown and self.desired < f.max_tasks:
                self.desired, self.last_step = min(f.max_tasks, self.desired + f.from_zero_step), now


def simulate(
    fleet: Fleet, job: JobModel, uploads: np.ndarray, *, dt: float = 5.0, seed: int = 1, drain_limit: float = 6 * 3600
) -> Result:
    rng = np.random.default_rng(seed)
    uploads = np.sort(np.asarray(uploads, dtype=float))
    horizon = float(uploads[-1]) if len(uploads) else 0.0
    visible_at = uploads + job.event_delay_s
    period = facts.METRIC_PERIOD.value
    median, sigma = facts.FARGATE_START_MEDIAN.value, facts.FARGATE_START_SIGMA.value
    scaler = Scaler(fleet, desired=fleet.min_tasks)
    tasks = [Task(-3600.0, -3600.0, [0.0] * fleet.worker_concurrency) for _ in range(fleet.min_tasks)]
    queue: deque[int] = deque()
    latencies, finished = np.full(len(uploads), np.nan), np.full(len(uploads), np.nan)
    series: dict[str, list[float]] = {"backlog": [], "running": [], "desired": []}
    task_seconds, nxt, t = 0.0, 0, 0.0
    while True:
        t += dt
        while nxt < len(uploads) and visible_at[nxt] <= t:
            queue.append(nxt)
            nxt += 1
        for task in tasks:
            if task.ready > t or task.stopping:
                continue
            # The slot that frees first takes the next job, so that each job counts the jobs running beside it when it
            # starts (filling one slot after another, a slot's later jobs saw the others as idle: up to twice a task's
            # throughput when it was saturated).
            while queue:
                i = min(range(len(task.slots)), key=task.slots.__getitem__)
                if task.slots[i] > t:
                    break
                j = queue.popleft()
                # In hand once there is room: when the job `worker_concurrency` places ahead took its slot.
                ahead = task.starts[-len(task.slots)] if len(task.starts) >= len(task.slots) else -math.inf
                start = max(task.slots[i], max(visible_at[j], task.ready, ahead) + job.head_s)
                task.starts.append(start)
                busy = 1 + sum(1 for s in task.slots if s > start)
                task.slots[i] = start + job.service_s(busy, fleet.vcpu)
                finished[j] = task.slots[i] + job.tail_s
                latencies[j] = finished[j] - uploads[j]
        for task in [k for k in tasks if k.stopping and max(k.slots) <= t]:
            task_seconds += max(60.0, t - max(task.launched, 0.0))  # Fargate's one-minute minimum
            tasks.remove(task)
        if t % period < dt:
            scaler.visible.append(len(queue))
            scaler.running.append(sum(1 for k in tasks if k.ready <= t))
            scaler.evaluate(t)
            _reconcile(tasks, scaler.desired, t, rng, median, sigma, fleet.worker_concurrency)
            series["backlog"].append(len(queue))
            series["running"].append(sum(1 for k in tasks if k.ready <= t and not k.stopping))
            series["desired"].append(scaler.desired)
            done = nxt == len(uploads) and not queue
            if (t >= horizon and done and scaler.desired == fleet.min_tasks) or t > horizon + drain_limit:
                break
    task_seconds += sum(max(60.0, t - max(k.launched, 0.0)) for k in tasks)
    return _result(fleet, uploads, finished, latencies, series, period, task_seconds)


def _reconcile(tasks: list[Task], desired: int, t: float, rng: np.random.Generator, *start: float) -> None:
    median, sigma, slots = start
    active = [k for k in tasks if not k.stopping]
    for _ in range(desired - len(active)):
        tasks.append(Task(t, t + median * math.exp(sigma * rng.standard_normal()), [t] * int(slots)))
    # Scale in: ECS stops tasks not yet running first, then the least busy; those drain their in-flight jobs.
    for task in sorted(active, key=lambda k: (k.ready <= t, max(k.slots)))[: max(0, len(active) - desired)]:
        task.stopping = True
        if task.ready > t:
            task.slots = [t] * len(task.slots)


def _result(
    fleet: Fleet,
    uploads: np.ndarray,
    finished: np.ndarray,
    latencies: np.ndarray,
    series: dict[str, list[float]],
    period: float,
    task_seconds: float,
) -> Result:
    n = len(series["backlog"])
    minutes = np.arange(1, n + 1) * period / 60
    bins = np.arange(n + 1) * period
    arrivals = np.histogram(uploads, bins=bins)[0]
    done_minute = np.clip((finished // period).astype(int), 0, n - 1) if len(finished) else np.array([], int)
    p50, p99 = np.full(n, np.nan), np.full(n, np.nan)
    order = np.argsort(done_minute, kind="stable")
    groups = np.split(latencies[order], np.unique(done_minute[order], return_index=True)[1][1:])
    for minute, values in zip(np.unique(done_minute), groups, strict=True):
        p50[minute], p99[minute] = np.percentile(values, 50), np.percentile(values, 99)
    return Result(
        minutes=minutes,
        arrivals=arrivals,
        backlog=np.array(series["backlog"]),
        running=np.array(series["running"]),
        desired=np.array(series["desired"]),
        p50=p50,
        p99=p99,
        latencies=latencies,
        task_seconds=task_seconds,
        vcpu=fleet.vcpu,
        memory_gb=fleet.worker_memory / 1024,
    )
