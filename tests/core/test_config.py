from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.jobs import TRANSITIONS, JobStatus


def test_the_api_deadline_must_fit_one_attempt() -> None:
    with pytest.raises(ValidationError, match="api_deadline_seconds"):
        Settings(api_deadline_seconds=2, api_aws_connect_timeout_seconds=1, api_aws_read_timeout_seconds=2)


def test_settings_survive_the_trip_through_env(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        aws_endpoint_url="http://127.0.0.1:1",
        thumbnail_sizes=[300, 50],
        accepted_formats=["png"],
        api_keys_cache_seconds=5,
        worker_concurrency=3,
    )
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown formats"):
        Settings(accepted_formats=["BMP"])
    with pytest.raises(ValidationError):
        Settings(thumbnail_sizes=[])


def test_the_analysis_engine_follows_the_environment_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMGPIPE_ENVIRONMENT", "IMGPIPE_ANALYSIS_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().analysis_engine == "local"
    assert Settings(environment="aws").analysis_engine == "rekognition"
    assert Settings(environment="aws", analysis_engine="off").analysis_engine == "off"
    monkeypatch.setenv("IMGPIPE_ENVIRONMENT", "aws")
    assert Settings().analysis_engine == "rekognition"
    monkeypatch.setenv("IMGPIPE_ANALYSIS_ENGINE", "local")
    assert Settings().analysis_engine == "local"


def test_terminal_statuses_have_no_way_out_but_a_redrive_or_a_deletion() -> None:
    assert TRANSITIONS[JobStatus.COMPLETED] == frozenset({JobStatus.DELETED})
    # Only a redrive re-opens a failed job, and the store allows it for processing_retries_exhausted alone.
    assert TRANSITIONS[JobStatus.FAILED] == frozenset({JobStatus.PROCESSING, JobStatus.DELETED})
    assert JobStatus.EXPIRED not in TRANSITIONS  # derived on read, never stored
    # Every stored status may be deleted, and nothing comes after: no claim or redrive revives a tombstone.
    assert all(JobStatus.DELETED in TRANSITIONS[s] for s in TRANSITIONS if s is not JobStatus.DELETED)
    assert TRANSITIONS[JobStatus.DELETED] == frozenset()
