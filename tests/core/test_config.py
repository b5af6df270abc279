from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from core.config import LOCAL_DEV_API_KEY, Settings
from core.jobs import TRANSITIONS, JobStatus


def test_the_dev_key_is_refused_outside_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGPIPE_API_KEYS", raising=False)
    with pytest.raises(ValidationError, match="local dev API key"):
        Settings(environment="aws", api_keys=[SecretStr(LOCAL_DEV_API_KEY)])
    assert Settings(environment="aws", api_keys=[SecretStr("a-real-secret")]).environment == "aws"
    assert Settings().api_keys[0].get_secret_value() == LOCAL_DEV_API_KEY
    # Outside local there is no default key: the worker needs none, and the API refuses to start without a source.
    assert Settings(environment="aws").api_keys == []
    monkeypatch.setenv("IMGPIPE_ENVIRONMENT", "aws")
    assert Settings().api_keys == []


def test_the_api_deadline_must_fit_one_attempt() -> None:
    with pytest.raises(ValidationError, match="api_deadline_seconds"):
        Settings(api_deadline_seconds=2, api_aws_connect_timeout_seconds=1, api_aws_read_timeout_seconds=2)


def test_settings_survive_the_trip_through_env(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(
        aws_endpoint_url="http://127.0.0.1:1",
        thumbnail_sizes=[300, 50],
        accepted_formats=["png"],
        api_keys=[SecretStr("k1"), SecretStr("k2")],
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
    for name in ("IMGPIPE_ENVIRONMENT", "IMGPIPE_ANALYSIS_ENGINE", "IMGPIPE_API_KEYS"):
        monkeypatch.delenv(name, raising=False)
    keys = [SecretStr("a-real-secret")]
    assert Settings().analysis_engine == "local"
    assert Settings(environment="aws", api_keys=keys).analysis_engine == "rekognition"
    assert Settings(environment="aws", api_keys=keys, analysis_engine="off").analysis_engine == "off"
    monkeypatch.setenv("IMGPIPE_ENVIRONMENT", "aws")
    monkeypatch.setenv("IMGPIPE_API_KEYS", '["a-real-secret"]')
    assert Settings().analysis_engine == "rekognition"
    monkeypatch.setenv("IMGPIPE_ANALYSIS_ENGINE", "local")
    assert Settings().analysis_engine == "local"


def test_terminal_statuses_have_no_way_out_but_a_redrive() -> None:
    assert TRANSITIONS[JobStatus.COMPLETED] == frozenset()
    # Only a redrive re-opens a failed job, and the store allows it for processing_retries_exhausted alone.
    assert TRANSITIONS[JobStatus.FAILED] == frozenset({JobStatus.PROCESSING})
    assert JobStatus.EXPIRED not in TRANSITIONS  # derived on read, never stored
