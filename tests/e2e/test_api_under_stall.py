"""The API when DynamoDB stalls (the emulator frozen with SIGSTOP: connections hang, nothing is refused) or is
unreachable (connections refused).

Client timeouts here are hang detectors, several times the API's deadline: before the fix a request waited out
botocore's 30 s read timeout five times (~180 s) and then answered 500.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from cli.processes import Service, free_port, start_api, wait_until
from cli.stack import EMULATOR_CREDENTIALS, LocalStack, start_local_stack
from core.api_keys import LOCAL_DEV_API_KEY
from core.config import Settings
from harness.jobs import api_client, create_job

HANG = 40.0  # far beyond the API's 8 s deadline even on two busy cores, far below the ~180 s of the hang
PROBE = 10.0  # a load balancer's health check gives up well before this


@pytest.fixture(scope="module")
def sstack() -> Iterator[LocalStack]:
    # readyz_cache_seconds=0: every probe after the freeze sees the stall (concurrent ones still share a check).
    with start_local_stack(Settings(analysis_engine="off", readyz_cache_seconds=0), workers=0) as stack:
        yield stack


@contextmanager
def frozen(service: Service) -> Iterator[None]:
    """A stall: the process stops answering but its sockets stay open."""
    os.kill(service.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(service.process.pid, signal.SIGCONT)


def _ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=HANG).status_code == 200


def test_requests_answer_503_with_retry_after_while_dynamodb_stalls(sstack: LocalStack) -> None:
    with api_client(sstack, timeout=HANG) as api:
        job = create_job(api, filename="a.png", content_type="image/png", size=10)
        with frozen(sstack.moto):
            created = api.post("/v1/jobs", json={"filename": "b.png", "content_type": "image/png", "size_bytes": 10})
            read = api.get(f"/v1/jobs/{job['job_id']}")
        for response in (created, read):
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "dependency_unavailable"
            assert int(response.headers["Retry-After"]) > 0
        # Once DynamoDB is back, so is the API: nothing was left broken.
        assert api.get(f"/v1/jobs/{job['job_id']}").json()["status"] == "upload_pending"


def test_more_requests_than_threads_all_answer_503_during_a_stall(sstack: LocalStack) -> None:
    """80 creates, twice the route thread pool: those that wait for a thread find their deadline spent and are
    refused without calling AWS, so none waits for more than about one deadline."""
    assert sstack.api is not None
    url, headers = sstack.api.url, {"X-API-Key": LOCAL_DEV_API_KEY}
    body = {"filename": "c.png", "content_type": "image/png", "size_bytes": 10}
    with frozen(sstack.moto), ThreadPoolExecutor(max_workers=80) as pool:
        answers = list(
            pool.map(lambda _: httpx.post(f"{url}/v1/jobs", json=body, headers=headers, timeout=HANG), range(80))
        )
    assert {a.status_code for a in answers} == {503}
    assert {a.json()["error"]["code"] for a in answers} == {"dependency_unavailable"}


def test_healthz_answers_while_many_readiness_probes_wait_on_a_stall(sstack: LocalStack) -> None:
    assert sstack.api is not None and sstack.api.url is not None
    url = sstack.api.url
    wait_until(lambda: _ready(url), timeout=HANG, what="the API to be ready")
    with frozen(sstack.moto), ThreadPoolExecutor(max_workers=45) as pool:
        probes = [pool.submit(httpx.get, f"{url}/readyz", timeout=HANG) for _ in range(45)]
        # More probes than the route thread pool has threads (40): liveness must not queue behind them.
        for _ in range(5):
            assert httpx.get(f"{url}/healthz", timeout=PROBE).json() == {"status": "ok"}
        answers = [p.result() for p in probes]
    assert {a.status_code for a in answers} == {503}
    assert {a.json()["error"]["code"] for a in answers} == {"not_ready"}
    wait_until(lambda: _ready(url), timeout=HANG, what="readiness to come back after the stall")


def test_an_unreachable_dynamodb_gives_503_not_500() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: every connection is refused
    api = start_api({**EMULATOR_CREDENTIALS, **Settings(aws_endpoint_url=nowhere).to_env()})
    try:
        headers = {"X-API-Key": LOCAL_DEV_API_KEY}
        created = httpx.post(
            f"{api.url}/v1/jobs",
            json={"filename": "a.png", "content_type": "image/png", "size_bytes": 10},
            headers=headers,
            timeout=HANG,
        )
        assert created.status_code == 503, created.text
        assert created.json()["error"]["code"] == "dependency_unavailable"
        assert "Retry-After" in created.headers
        assert httpx.get(f"{api.url}/readyz", timeout=HANG).json()["error"]["code"] == "not_ready"
        assert httpx.get(f"{api.url}/healthz", timeout=PROBE).json() == {"status": "ok"}
    finally:
        api.stop()
