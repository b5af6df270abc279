"""Issue 6, target 5 (again for issue 15): the API under 32 concurrent clients, against the emulator's own DynamoDB
rate, with ownership, idempotency and per-key rate limits on.

    PYTHONPATH=. .venv/bin/python bench/api.py [--clients 32] [--requests 1000] [--rounds 3] [--quick]

The local stack's moto server and API process (as `imgpipe dev` runs them; no worker), plus a second API process
on the same moto with `IMGPIPE_RATE_LIMITS_ENABLED=false`, which shows what the rate limit costs. Requests use a key
of their own whose rate is never reached (each is counted, none refused). Each round, in rotating order:
- `POST /v1/jobs` x --requests, each with its own `Idempotency-Key`, from --clients threads, each with its own
  keep-alive connection, to each API;
- `GET /v1/jobs/{id}` x --requests on the jobs just created (owned by the key: the API checks the owner), to each;
- the API's job-table call for each, made straight to moto from --clients threads with a shared boto3 client:
  JobStore.create (a conditional put_item of the same item) and JobStore.get (a consistent get_item).
Reported per operation: requests/s, p50/p99 latency, and API rate / DynamoDB rate in the same round (1.0 would mean
the API adds nothing on top of its job-table call), plus the CPU each process spent per request.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from bench.common import CpuMeter, header, median, percentile, table
from cli.processes import Service, start_api
from cli.stack import LocalStack, start_local_stack
from core.api_keys import ApiKeyStore
from core.aws import AwsClients
from core.config import Settings
from core.jobs import new_job, utcnow
from core.keys import upload_key
from core.store import JobStore


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


class HttpClients:
    """One keep-alive connection per client thread (stdlib http.client: a light client, so that the CPU it takes
    from the 2 shared cores is small next to the API's; httpx costs ~10 ms of CPU per request here)."""

    def __init__(self, base_url: str, key: str) -> None:
        parsed = urlsplit(base_url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.headers = {"X-API-Key": key, "Content-Type": "application/json"}
        self.local = threading.local()

    def request(
        self, method: str, path: str, body: dict[str, object] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        body_text = json.dumps(body) if body is not None else None
        conn.request(method, path, body=body_text, headers={**self.headers, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()


def _threads(clients: int, calls: list[Callable[[], object]]) -> tuple[float, list[float]]:
    def timed(call: Callable[[], object]) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(timed, calls[: clients * 2]))  # threads and connections up
        started = time.perf_counter()
        latencies = list(pool.map(timed, calls[clients * 2 :]))
        return time.perf_counter() - started, latencies


class Bench:
    def __init__(self, stack: LocalStack, unlimited_api: Service, clients: int, requests: int) -> None:
        assert stack.api is not None and stack.api.url is not None and unlimited_api.url is not None
        self.stack, self.clients, self.requests = stack, clients, requests
        # A pool as large as the client count, so the direct calls never wait for a connection.
        db = AwsClients(stack.settings.model_copy(update={"worker_concurrency": clients})).dynamodb
        self.store = JobStore(db, stack.settings.jobs_table)
        self.key_id = "bench"
        _, token = ApiKeyStore(db, stack.settings.api_keys_table).create(
            "bench/api.py", key_id=self.key_id, rate_per_minute=10**9
        )
        self.apis = {"limited": stack.api, "unlimited": unlimited_api}
        self.http = {name: HttpClients(api.url or "", token) for name, api in self.apis.items()}
        self.job_ids: dict[str, list[str]] = {}
        self.db_ids: list[str] = []

    def _measure(self, run: Callable[[], tuple[float, list[float]]], api: str | None = None) -> Run:
        pids = {"moto": self.stack.moto.process.pid, "bench client": os.getpid()}
        if api is not None:
            pids["api"] = self.apis[api].process.pid
        meter = CpuMeter(pids)
        seconds, latencies = run()
        return Run(seconds, latencies, meter.stop())

    def api_post(self, api: str) -> Run:
        body: dict[str, object] = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 2_000_000}
        responses: list[tuple[int, bytes]] = []

        def post() -> None:
            idempotency = {"Idempotency-Key": str(uuid.uuid4())}
            responses.append(self.http[api].request("POST", "/v1/jobs", body, idempotency))

        run = self._measure(lambda: _threads(self.clients, [post] * (self.requests + self.clients * 2)), api)
        assert all(status == 201 for status, _ in responses), {status for status, _ in responses}
        self.job_ids[api] = [json.loads(data)["job_id"] for _, data in responses]
        return run

    def api_get(self, api: str) -> Run:
        statuses: list[int] = []

        def get(job_id: str) -> None:
            statuses.append(self.http[api].request("GET", f"/v1/jobs/{job_id}")[0])

        calls = [functools.partial(get, i) for i in self.job_ids[api]]
        run = self._measure(lambda: _threads(self.clients, calls), api)
        assert all(status == 200 for status in statuses), set(statuses)
        return run

    def db_put(self) -> Run:
        settings = self.stack.settings
        now = utcnow()
        jobs = [
            new_job(
                job_id=(job_id := str(uuid.uuid4())),
                owner=self.key_id,
                filename="photo.jpg",
                content_type="image/jpeg",
                declared_size=2_000_000,
                upload_key=upload_key(job_id),
                upload_window=timedelta(seconds=settings.upload_url_ttl_seconds),
                retention=timedelta(days=settings.job_retention_days),
                now=now,
            )
            for _ in range(self.requests + self.clients * 2)
        ]
        self.db_ids = [j.job_id for j in jobs]
        return self._measure(lambda: _threads(self.clients, [lambda j=j: self.store.create(j) for j in jobs]))

    def db_get(self) -> Run:
        calls = [lambda i=i: self.store.get(i) for i in self.db_ids]
        return self._measure(lambda: _threads(self.clients, calls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=1000, help="requests per operation per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 round of 200 requests")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 200, 1
    header(f"API under {args.clients} concurrent clients vs the emulator's DynamoDB")
    with start_local_stack(Settings(analysis_engine="off"), workers=0) as stack:
        unlimited = start_api({**stack.env, "IMGPIPE_RATE_LIMITS_ENABLED": "false"})
        try:
            bench = Bench(stack, unlimited, args.clients, args.requests)
            # Puts before gets (the gets read what the puts made); within each group the order rotates per round.
            groups = [
                (
                    "put_item",
                    bench.db_put,
                    [("POST /v1/jobs", "limited"), ("POST /v1/jobs, no rate limit", "unlimited")],
                ),
                (
                    "get_item",
                    bench.db_get,
                    [("GET /v1/jobs/{id}", "limited"), ("GET /v1/jobs/{id}, no rate limit", "unlimited")],
                ),
            ]
            runs: dict[str, list[Run]] = {}
            for r in range(args.rounds):
                for db_name, db_run, apis in groups:
                    call = bench.api_post if db_name == "put_item" else bench.api_get
                    order = [(name, functools.partial(call, api)) for name, api in apis] + [(db_name, db_run)]
                    for name, run in order[r % len(order) :] + order[: r % len(order)]:
                        runs.setdefault(name, []).append(run())
                        print(f"  round {r + 1}: {name}: {runs[name][-1].rate:.0f} req/s", flush=True)
            rows = []
            for db_name, _, apis in groups:
                for name in [api_name for api_name, _ in apis] + [db_name]:
                    rs = runs[name]
                    ratios = [a.rate / d.rate for a, d in zip(rs, runs[db_name], strict=True)]
                    lat = [x for run in rs for x in run.latencies]

                    def cpu(process: str, rs: list[Run] = rs) -> float | str:
                        if process not in rs[0].cpu:
                            return ""
                        return median([run.cpu[process] / len(run.latencies) * 1000 for run in rs])

                    rows.append(
                        [
                            name,
                            median([run.rate for run in rs]),
                            percentile(lat, 50) * 1000,
                            percentile(lat, 99) * 1000,
                            f"{median(ratios):.2f}" if name != db_name else "",
                            cpu("api"),
                            cpu("moto"),
                            cpu("bench client"),
                        ]
                    )
            table(
                [
                    "operation",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "API / DynamoDB rate",
                    "API CPU ms/req",
                    "moto CPU ms/req",
                    "client CPU ms/req",
                ],
                rows,
                title=f"{args.clients} concurrent clients, {args.requests} requests per operation, median of "
                f"{args.rounds} rounds",
            )
        finally:
            unlimited.stop()


if __name__ == "__main__":
    main()
