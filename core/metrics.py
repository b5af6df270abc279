"""Job counters and stage durations as CloudWatch Embedded Metric Format lines (ECS ships stdout to CloudWatch)."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator

NAMESPACE = "imgpipe"


class Stopwatch:
    """Milliseconds since it was made: the one clock every stage and step duration is measured with."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self._started) * 1000, 2)


@contextlib.contextmanager
def timed(durations: dict[str, float], stage: str) -> Iterator[None]:
    """Record how long the block took as `durations[stage]`, in milliseconds."""
    clock = Stopwatch()
    try:
        yield
    finally:
        durations[stage] = clock.ms()


def _emf(
    dimensions: list[list[str]], metrics: list[dict[str, str]], values: dict[str, object], now_ms: int | None
) -> str:
    """An EMF document: the `_aws` metadata naming which of `values` are metrics, then the values themselves."""
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": dimensions, "Metrics": metrics}],
        },
        **values,
    }
    return json.dumps(document, separators=(",", ":"))


def emf_line(status: str, error_code: str | None, durations_ms: dict[str, float], now_ms: int | None = None) -> str:
    """One EMF document: a `Jobs` count by status and error code, and one duration metric per stage."""
    metrics = [{"Name": "Jobs", "Unit": "Count"}] + [
        {"Name": f"{stage}Ms", "Unit": "Milliseconds"} for stage in sorted(durations_ms)
    ]
    values = {
        "Status": status,
        "ErrorCode": error_code or "none",
        "Jobs": 1,
        **{f"{stage}Ms": value for stage, value in durations_ms.items()},
    }
    return _emf([["Status"], ["Status", "ErrorCode"]], metrics, values, now_ms)


def count_line(metric: str, now_ms: int | None = None) -> str:
    """One EMF document counting a single occurrence of `metric`, without dimensions: one alarmable series."""
    return _emf([[]], [{"Name": metric, "Unit": "Count"}], {metric: 1}, now_ms)


def emit_count(metric: str) -> None:
    sys.stdout.write(count_line(metric) + "\n")
    sys.stdout.flush()


def emit_job(status: str, error_code: str | None, durations_ms: dict[str, float]) -> None:
    # stdout, not the log stream: the CloudWatch agent/awslogs driver turns EMF lines on stdout into metrics.
    sys.stdout.write(emf_line(status, error_code, durations_ms) + "\n")
    sys.stdout.flush()
