"""Issue 6, target 5: the API under 32 concurrent clients, against the emulator's own DynamoDB rate.

    PYTHONPATH=. .venv/bin/python bench/api.py [--clients 32] [--requests 1000] [--rounds 3] [--quick]

The local stack's moto server and API process (as `imgpipe dev` runs them; no worker). Each round, in rotating
order:
- `POST /v1/jobs` x --requests, from --clients threads, each with its own keep-alive connection;
- `GET /v1/jobs/{id}` x --requests on the jobs just created;
- the API's one database call for each, made straight to moto from --clients threads with a shared boto3 client:
  JobStore.create (a conditional put_item of the same item) and JobStore.get (a consistent get_item).
Reported per operation: requests/s, p50/p99 latency, and API rate / DynamoDB rate in the same round (1.0 would mean
the API adds nothing on top of its database call), plus the CPU each process spent per request.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from bench.common import CpuMeter, header, median, percentile, table
from cli.stack import LocalStack, start_local_stack
from core.api_keys import DEV_KEY_ID, LOCAL_DEV_API_KEY
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

    def request(self, method: str, path: str, body: dict[str, object] | None = None) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
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
    def __init__(self, stack: LocalStack, clients: int, requests: int) -> None:
        assert stack.api is not None and stack.api.url is not None
        self.stack, self.clients, self.requests = stack, clients, requests
        self.url = stack.api.url
        self.key = LOCAL_DEV_API_KEY
        # A pool as large as the client count, so the direct calls never wait for a connection.
        db = AwsClients(stack.settings.model_copy(update={"worker_concurrency": clients})).dynamodb
        self.store = JobStore(db, stack.settings.jobs_table)
        self.http = HttpClients(self.url, self.key)
        self.job_ids: list[str] = []
        self.db_ids: list[str] = []

    def _measure(self, run: Callable[[], tuple[float, list[float]]]) -> Run:
        meter = CpuMeter.of(self.stack)
        seconds, latencies = run()
        return Run(seconds, latencies, meter.stop())

    def api_post(self) -> Run:
        body: dict[str, object] = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 2_000_000}
        responses: list[tuple[int, bytes]] = []

        def post() -> None:
            responses.append(self.http.request("POST", "/v1/jobs", body))

        run = self._measure(lambda: _threads(self.clients, [post] * (self.requests + self.clients * 2)))
        assert all(status == 201 for status, _ in responses), {status for status, _ in responses}
        self.job_ids = [json.loads(data)["job_id"] for _, data in responses]
        return run

    def api_get(self) -> Run:
        statuses: list[int] = []

        def get(job_id: str) -> None:
            statuses.append(self.http.request("GET", f"/v1/jobs/{job_id}")[0])

        run = self._measure(lambda: _threads(self.clients, [functools.partial(get, i) for i in self.job_ids]))
        assert all(status == 200 for status in statuses), set(statuses)
        return run

    def db_put(self) -> Run:
        settings = self.stack.settings
        now = utcnow()
        jobs = [
            new_job(
                job_id=(job_id := str(uuid.uuid4())),
                owner=DEV_KEY_ID,
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
        bench = Bench(stack, args.clients, args.requests)
        # Puts before gets (the gets read what the puts made); the pairs alternate which goes first.
        pairs = [("POST /v1/jobs", bench.api_post, "put_item", bench.db_put)]
        pairs.append(("GET /v1/jobs/{id}", bench.api_get, "get_item", bench.db_get))
        runs: dict[str, list[Run]] = {}
        for r in range(args.rounds):
            for api_name, api_run, db_name, db_run in pairs:
                order = [(api_name, api_run), (db_name, db_run)]
                for name, run in order if r % 2 == 0 else reversed(order):
                    runs.setdefault(name, []).append(run())
                    print(f"  round {r + 1}: {name}: {runs[name][-1].rate:.0f} req/s", flush=True)
        rows = []
        for api_name, _, db_name, _ in pairs:
            for name in (api_name, db_name):
                rs = runs[name]
                ratios = [a.rate / d.rate for a, d in zip(runs[api_name], runs[db_name], strict=True)]
                lat = [x for run in rs for x in run.latencies]

                def cpu(process: str, rs: list[Run] = rs) -> float:
                    return median([run.cpu[process] / len(run.latencies) * 1000 for run in rs])

                rows.append(
                    [
                        name,
                        median([run.rate for run in rs]),
                        percentile(lat, 50) * 1000,
                        percentile(lat, 99) * 1000,
                        f"{median(ratios):.2f}" if name == api_name else "",
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


if __name__ == "__main__":
    main()
