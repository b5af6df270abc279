"""The worker's AWS clients against a moto server over real HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from cli.processes import Service, start_moto
from core.aws import EMULATOR_CREDENTIALS, AwsClients
from core.config import Settings


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in EMULATOR_CREDENTIALS.items():
            patch.setenv(name, value)
        service = start_moto()
        try:
            yield service
        finally:
            service.stop()


def test_every_job_thread_and_its_uploads_keep_their_connections(
    moto: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """At full concurrency (each job thread fetching while the upload threads store outputs), no request finds the
    connection pool full: a discarded connection is a new TCP connection (and its CPU) for the next request."""
    # us-east-1: a bucket there needs no location constraint.
    settings = Settings(aws_endpoint_url=moto.url, environment="local", aws_region="us-east-1", worker_concurrency=4)
    s3 = AwsClients.for_worker(settings).s3
    s3.create_bucket(Bucket="pool-test")
    threads = 5 * settings.worker_concurrency  # a job thread and 4 output uploads per job (worker/pipeline.py)
    together = threading.Barrier(threads)

    def put(i: int) -> None:
        together.wait()
        for _ in range(3):
            s3.put_object(Bucket="pool-test", Key=f"k{i}", Body=b"x" * 100_000)

    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"), ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, range(threads)))
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
