"""Stage durations: one clock, recorded per stage even when the stage raises, and shipped as EMF metrics."""

from __future__ import annotations

import json

import pytest

from core.metrics import emf_line, timed


def test_each_stage_gets_its_duration_also_when_it_raises() -> None:
    durations: dict[str, float] = {}
    with timed(durations, "fetch"):
        pass
    with pytest.raises(RuntimeError), timed(durations, "image"):
        raise RuntimeError("decode failed")
    assert set(durations) == {"fetch", "image"}
    assert all(value >= 0 for value in durations.values())


def test_durations_become_one_metric_per_stage() -> None:
    document = json.loads(emf_line("completed", None, {"fetch": 1.5, "total": 9.25}, now_ms=0))
    metrics = document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert [m["Name"] for m in metrics] == ["Jobs", "fetchMs", "totalMs"]
    assert (document["fetchMs"], document["totalMs"], document["ErrorCode"]) == (1.5, 9.25, "none")
