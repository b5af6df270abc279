"""Issue 6, target 4: orchestration overhead through the whole local stack, analysis off.

    PYTHONPATH=. .venv/bin/python bench/e2e.py [--latency-jobs 40] [--jobs 500] [--quick] [--trace-out FILE]
    PYTHONPATH=. .venv/bin/python bench/e2e.py --pinned [--quick]

--pinned (issue 17): the worker on CPU 1, everything else on CPU 0, against the stage alone on CPU 1, for 1 MP and
12 MP JPEGs and a 12 MP PNG (bench/e2e_pinned.py). Exits 2 when CPUs 0 and 1 are not both available.

--trace-out writes the measured per-job times (one at a time), the backlog and live drain rates and, per job of the
live run, when its upload started and ended and when it completed, as JSON: bench/capacity.py replays the live run
to validate its model.

The stack is the one `imgpipe dev` runs (cli.stack.start_local_stack: moto server, API, one worker process at the
default IMGPIPE_WORKER_CONCURRENCY), with IMGPIPE_ANALYSIS_ENGINE=off. Inputs are 1 MP photo-like JPEGs.

- Latency: one job at a time. A job's end-to-end time runs from the start of its presigned POST upload to the
  `updated_at` the worker wrote with `completed` in DynamoDB (same clock; polling does not add to it): S3 -> the
  EventBridge rule -> SQS -> the worker's long poll -> claim -> fetch -> image stage -> 4 outputs to S3 ->
  DynamoDB. Every job alternates with one run of the image stage in this process on the same bytes, so the
  reference sees the same machine load. Ratio: median end-to-end / median stage.
- Throughput: `--jobs` uploads. "backlog": uploaded while no worker runs, then one worker drains the queue;
  rate = (jobs - 1) / (last completion - first completion), i.e. the steady state without worker start-up.
  "live": uploaded (8 client threads) while the worker runs; rate = jobs / (last completion - first upload).
  The reference is the image stage alone in this process with a thread pool of the same concurrency over the same
  bytes, run right before and right after (mean of the two). Ratio: stack / standalone.

On 2 cores the stack's own processes (moto, API, the client uploading) take CPU the stage would otherwise have;
that is the overhead being measured, so the machine's other load is printed with the result.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.common import CpuMeter, header, median, percentile, photo_jpeg, table
from cli.processes import wait_until
from cli.stack import LocalStack, start_local_stack
from core.aws import AwsClients
from core.config import Settings
from core.jobs import JobStatus
from core.store import JobStore
from harness.jobs import api_client, create_job
from harness.queues import queue_settled
from worker.stages.image import process_image

# 1155 x 866 = 1.0 MP, 4:3.
WIDTH, HEIGHT = 1155, 866


def inputs(count: int) -> list[bytes]:
    return [photo_jpeg(WIDTH, HEIGHT, seed=10 + i) for i in range(count)]


class Client:
    def __init__(self, stack: LocalStack) -> None:
        self.api = api_client(stack, timeout=60)
        # One client for every upload: a new httpx client per request costs ~50 ms of CPU (TLS context setup)
        # that would be taken from the 2 cores the stack shares.
        self.uploader = httpx.Client(timeout=60)
        clients = AwsClients(stack.settings)
        self.store = JobStore(clients.dynamodb, stack.settings.jobs_table)
        self.sqs = clients.sqs
        self.queue_url = stack.provisioned.queue_url

    def create(self, data: bytes) -> dict[str, Any]:
        return create_job(self.api, filename="bench.jpg", content_type="image/jpeg", size=len(data))

    def upload(self, created: dict[str, Any], data: bytes) -> tuple[float, float]:
        """Upload; returns the epoch times the upload started and ended."""
        started = time.time()
        upload = created["upload"]
        response = self.uploader.post(upload["url"], data=upload["fields"], files={"file": ("f", data, "image/jpeg")})
        assert response.status_code in (200, 201, 204), response.text
        return started, time.time()

    def completed_at(self, job_id: str) -> float | None:
        job = self.store.get(job_id)
        if job is None or job.status is not JobStatus.COMPLETED:
            assert job is None or job.status in (JobStatus.UPLOAD_PENDING, JobStatus.PROCESSING), job
            return None
        return job.updated_at.timestamp()

    def wait_completed(self, job_ids: list[str], timeout: float) -> list[float]:
        # The queue empties once every job is finished; one call per poll instead of one per job. Every 2 s at most:
        # moto answers GetQueueAttributes by scanning the whole queue several times, and the rates come from the
        # jobs' own timestamps, so polling more often would only add emulator CPU to what is measured.
        wait_until(
            lambda: queue_settled(self.sqs, self.queue_url), timeout=timeout, what="the queue to empty", max_interval=2
        )
        done = [self.completed_at(j) for j in job_ids]
        missing = [j for j, t in zip(job_ids, done, strict=True) if t is None]
        assert not missing, f"{len(missing)} jobs not completed, e.g. {missing[0]}"
        return [t for t in done if t is not None]


def memory_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def stage_seconds(data: bytes, settings: Settings) -> float:
    started = time.perf_counter()
    process_image(data, settings)
    return time.perf_counter() - started


def standalone_rate(items: list[bytes], settings: Settings) -> tuple[float, float]:
    """Images/s of the stage alone over `items` with the worker's concurrency, and CPU seconds per image."""
    with ThreadPoolExecutor(settings.worker_concurrency) as pool:
        list(pool.map(lambda d: process_image(d, settings), items[:4]))  # threads started, codecs warm
        started, cpu = time.perf_counter(), time.process_time()
        list(pool.map(lambda d: process_image(d, settings), items))
        return len(items) / (time.perf_counter() - started), (time.process_time() - cpu) / len(items)


def latency(stack: LocalStack, client: Client, images: list[bytes], jobs: int, trace: dict[str, Any]) -> None:
    settings = stack.settings
    for data in images[:2]:  # warm: the worker's first job loads codecs; the API's first request builds clients
        created = client.create(data)
        client.upload(created, data)
        client.wait_completed([created["job_id"]], timeout=60)
        stage_seconds(data, settings)
    e2e, stage, upload = [], [], []
    meter = CpuMeter.of(stack)
    for i in range(jobs):
        data = images[i % len(images)]
        created = client.create(data)
        started, uploaded = client.upload(created, data)
        upload.append(uploaded - started)
        finished = client.wait_completed([created["job_id"]], timeout=60)[0]
        e2e.append(finished - started)
        stage.append(stage_seconds(data, settings))
    worker_cpu = sum(v for name, v in meter.stop().items() if name.startswith("worker")) / jobs
    trace.update(
        isolated_seconds=e2e, isolated_upload_seconds=upload, stage_seconds=stage, worker_cpu_seconds=worker_cpu
    )
    ms = 1000
    rows = [
        ["end to end (upload start -> completed)", *(v * ms for v in _stats(e2e)), median(e2e) / median(stage)],
        ["  of which the presigned POST upload", *(v * ms for v in _stats(upload)), median(upload) / median(stage)],
        ["image stage alone (this process)", *(v * ms for v in _stats(stage)), 1.0],
        ["worker process CPU per job (mean)", worker_cpu * ms, "", "", "", worker_cpu / median(stage)],
    ]
    table(
        ["1 MP JPEG, one job at a time", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50 / stage p50"],
        rows,
        title=f"Latency over {jobs} jobs, worker concurrency {settings.worker_concurrency}, analysis "
        f"{settings.analysis_engine} (target: p50 <= 2x the stage)",
    )


def _stats(values: list[float]) -> list[float]:
    return [percentile(values, 50), percentile(values, 95), percentile(values, 99), max(values)]


def throughput(stack: LocalStack, client: Client, images: list[bytes], jobs: int, trace: dict[str, Any]) -> None:
    settings = stack.settings
    items = [images[i % len(images)] for i in range(jobs)]
    before, stage_cpu_before = standalone_rate(items, settings)
    timeout = 60 + jobs * 2.0

    # Backlog: no worker while uploading.
    for worker in stack.workers:
        worker.stop()
    stack.workers.clear()
    created = [client.create(d) for d in items]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client.upload, created, items))
    stack.add_worker()
    done = sorted(client.wait_completed([c["job_id"] for c in created], timeout))
    backlog_rate = (len(done) - 1) / (done[-1] - done[0])

    # Live: the worker (warm now) runs while the uploads arrive; CPU of every process is counted.
    created = [client.create(d) for d in items]
    meter = CpuMeter.of(stack)
    load = os.getloadavg()[0]
    with ThreadPoolExecutor(8) as pool:
        starts, uploaded = zip(*pool.map(client.upload, created, items), strict=True)
    done_by_job = client.wait_completed([c["job_id"] for c in created], timeout)
    cpu = meter.stop()
    live_rate = len(items) / (max(done_by_job) - min(starts))
    latencies = _stats([d - s for d, s in zip(done_by_job, starts, strict=True)])[:3]
    after, stage_cpu_after = standalone_rate(items, settings)
    # The capacity model's replay (bench/capmodel/validate.py) takes the arrivals and the worker's drain rate of this
    # run (one job per 1 / rate while it has work), and predicts its latencies.
    trace.update(
        backlog_rate=backlog_rate,
        live_drain_rate=(len(done_by_job) - 1) / (max(done_by_job) - min(done_by_job)),
        arrivals=starts,
        uploaded=uploaded,
        completions=done_by_job,
    )
    standalone, stage_cpu = (before + after) / 2, (stage_cpu_before + stage_cpu_after) / 2

    rows: list[list[object]] = [
        ["image stage alone, before / after", f"{before:.1f} / {after:.1f}", "", "", "", 1.0],
        ["stack, backlog drained by 1 worker", backlog_rate, "", "", "", backlog_rate / standalone],
        ["stack, uploads while the worker runs", live_rate, *(v * 1000 for v in latencies), live_rate / standalone],
    ]
    table(
        ["1 MP JPEGs", "images/s", "e2e p50 ms", "e2e p95 ms", "e2e p99 ms", "x standalone"],
        rows,
        title=f"Throughput over {jobs} jobs at worker concurrency {settings.worker_concurrency} "
        f"(target: >= 0.8x standalone)",
    )
    cpu_rows: list[list[object]] = [
        ["image stage alone (this process)", stage_cpu * 1000, 1.0],
    ]
    cpu_rows += [[name, v / jobs * 1000, v / jobs / stage_cpu] for name, v in cpu.items() if name != "bench client"]
    cpu_rows.append(["bench client (API calls, uploads)", cpu["bench client"] / jobs * 1000, ""])
    cpu_rows.append(["all of the above", sum(cpu.values()) / jobs * 1000, sum(cpu.values()) / jobs / stage_cpu])
    rss = {k: v / 2**20 for k, v in memory_status(stack.workers[0].process.pid).items()}
    cpu_rows.append(["worker RSS now / peak (MiB)", f"{rss['VmRSS']:.0f} / {rss['VmHWM']:.0f}", ""])
    table(
        ["process, during the live run", "CPU ms per job", "x stage CPU alone"],
        cpu_rows,
        title=f"Where the CPU goes (2 cores shared by all of them; load average at the start {load:.1f})",
    )
    worker_cpu = sum(v for name, v in cpu.items() if name.startswith("worker")) / jobs
    print(
        f"\nThe worker's own CPU per job is {worker_cpu / stage_cpu:.2f}x the stage's: on cores of its own (the AWS "
        f"services elsewhere, as in production) its throughput could reach {stage_cpu / worker_cpu:.2f}x the "
        "standalone stage's; here moto, the API and this client share the same 2 cores.",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-jobs", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=500, help="jobs per throughput run")
    parser.add_argument("--quick", action="store_true", help="8 latency jobs, 40 throughput jobs")
    parser.add_argument("--pinned", action="store_true", help="worker on CPU 1 vs the stage alone on CPU 1")
    parser.add_argument("--trace-out", help="write per-job times and the live run's arrivals/completions (JSON)")
    args = parser.parse_args()
    if args.quick:
        args.latency_jobs, args.jobs = 8, 40
    if args.pinned:
        from bench import e2e_pinned  # it imports this module's Client

        header("Orchestration overhead with the worker on a core of its own")
        raise SystemExit(e2e_pinned.main(args.quick))
    header("Orchestration overhead: the whole local stack vs the image stage alone")
    images = inputs(8)
    with start_local_stack(Settings(analysis_engine="off"), workers=1) as stack:
        client = Client(stack)
        trace: dict[str, Any] = {"worker_concurrency": stack.settings.worker_concurrency, "load": os.getloadavg()[0]}
        latency(stack, client, images, args.latency_jobs, trace)
        throughput(stack, client, images, args.jobs, trace)
        if args.trace_out:
            Path(args.trace_out).write_text(json.dumps(trace, indent=1) + "\n")


if __name__ == "__main__":
    main()
