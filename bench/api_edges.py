"""Issue 13, points 9, 10 and 12: what a stalled DynamoDB and large anonymous bodies cost the API.

    PYTHONPATH=. .venv/bin/python bench/api_edges.py [--bodies 5] [--mib 50] [--probes 45]

Starts the local stack (moto, the API, no worker), then
1. sends `--bodies` concurrent `--mib` MiB bodies to POST /v1/jobs, without a key and with one, and reads the API
   process's peak RSS (VmHWM in /proc/<pid>/status) before and after;
2. freezes moto with SIGSTOP (a stall) and times POST /v1/jobs, GET /v1/jobs/{id}, and /healthz while `--probes`
   concurrent /readyz wait, then SIGCONT.
Client timeouts are 200 s, longer than the old worst case (~180 s), so a hang shows as its real length.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.common import header, table
from cli.stack import start_local_stack
from core.api_keys import LOCAL_DEV_API_KEY
from core.config import Settings

MiB = 1024 * 1024
PATIENCE = 200.0


def _vm(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def _outcome(send: Callable[[], httpx.Response]) -> str:
    try:
        return str(send().status_code)
    except httpx.HTTPError as exc:  # the API answered early and closed while the body was still being sent
        return type(exc).__name__


def _timed(send: Callable[[], httpx.Response]) -> tuple[str, float]:
    start = time.monotonic()
    outcome = _outcome(send)
    return outcome, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=5)
    parser.add_argument("--mib", type=int, default=50)
    parser.add_argument("--probes", type=int, default=45)
    args = parser.parse_args()
    header("API at the edges: large bodies and a stalled DynamoDB")
    with start_local_stack(Settings(analysis_engine="off"), workers=0) as stack:
        assert stack.api is not None and stack.api.url is not None
        url, pid = stack.api.url, stack.api.process.pid
        key = LOCAL_DEV_API_KEY
        body = b"x" * (args.mib * MiB)
        rows = []
        for label, headers in (("no key", {}), ("valid key", {"X-API-Key": key})):
            before = _vm(pid, "VmHWM")

            def send(h: dict[str, str] = headers) -> httpx.Response:
                return httpx.post(f"{url}/v1/jobs", content=body, headers=h, timeout=PATIENCE)

            with ThreadPoolExecutor(args.bodies) as pool:
                outcomes = list(pool.map(lambda _: _outcome(send), range(args.bodies)))
            rows.append(
                [label, f"{args.bodies} x {args.mib} MiB", ", ".join(sorted(set(outcomes))), before, _vm(pid, "VmHWM")]
            )
        table(["request", "bodies", "answers", "API peak RSS before MiB", "after MiB"], rows)

        auth = {"X-API-Key": key}
        new_job = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}
        job_id = httpx.post(f"{url}/v1/jobs", json=new_job, headers=auth, timeout=PATIENCE).json()["job_id"]
        os.kill(stack.moto.process.pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(args.probes) as pool:
                probes = [
                    pool.submit(_timed, lambda: httpx.get(f"{url}/readyz", timeout=PATIENCE))
                    for _ in range(args.probes)
                ]
                time.sleep(1)  # let the probes reach the API: what the API does with them is what is measured
                # Fresh connections each: no request waits on another's keep-alive connection.
                stall = [
                    ["GET /healthz (probes waiting)", *_timed(lambda: httpx.get(f"{url}/healthz", timeout=PATIENCE))],
                    [
                        "POST /v1/jobs",
                        *_timed(lambda: httpx.post(f"{url}/v1/jobs", json=new_job, headers=auth, timeout=PATIENCE)),
                    ],
                    [
                        "GET /v1/jobs/{id}",
                        *_timed(lambda: httpx.get(f"{url}/v1/jobs/{job_id}", headers=auth, timeout=PATIENCE)),
                    ],
                ]
                results = [p.result() for p in probes]
            slowest = max(r[1] for r in results)
            answers = ", ".join(sorted({r[0] for r in results}))
            stall.append([f"{args.probes} x GET /readyz (slowest)", answers, slowest])
        finally:
            os.kill(stack.moto.process.pid, signal.SIGCONT)
        table(["request during the stall", "answer", "seconds"], stall)


if __name__ == "__main__":
    main()
