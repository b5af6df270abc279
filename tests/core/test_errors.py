"""The error catalogue: one class per code a user can see, each with its status, when and an example."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core import errors
from core.errors import (
    AuthError,
    ImgpipeError,
    InvalidApiKeyError,
    JobError,
    RequestError,
    TransientError,
    UnsupportedFormatError,
    catalogue,
    job_failure_codes,
)
from core.jobs import RETRIES_EXHAUSTED, UPLOAD_EXPIRED

# Bases that group codes and are never sent as such.
ABSTRACT = {ImgpipeError, RequestError, AuthError, JobError, TransientError}


def test_every_error_class_is_catalogued_once() -> None:
    classes = {v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, ImgpipeError)}
    entries = catalogue()
    assert set(entries) == classes - ABSTRACT, "an error class without `when`/`example` is not documented"
    codes = [e.code for e in entries]
    assert len(codes) == len(set(codes)), "two classes share a code"
    for entry in entries:
        assert entry.when and entry.example, entry.__name__
        # A bare ImgpipeError is an internal error; the other bases' codes are never sent.
        assert entry.code not in {base.code for base in ABSTRACT - {ImgpipeError}}, entry.__name__


def test_http_answers_come_first_by_status_then_job_failure_codes() -> None:
    entries = catalogue()
    answers = [e for e in entries if not issubclass(e, JobError)]
    assert entries[: len(answers)] == answers
    assert [e.http_status for e in answers] == sorted(e.http_status for e in answers)
    assert all(400 <= e.http_status < 600 for e in answers)
    assert job_failure_codes()[0] == "unsupported_format"
    assert {RETRIES_EXHAUSTED, UPLOAD_EXPIRED} <= set(job_failure_codes())


def test_an_error_raised_without_a_message_carries_its_example() -> None:
    assert InvalidApiKeyError().message == InvalidApiKeyError.example
    err = UnsupportedFormatError("The upload is a GIF image.", details={"detected": "GIF"})
    assert (err.code, err.message, err.details) == (
        "unsupported_format",
        "The upload is a GIF image.",
        {"detected": "GIF"},
    )


def test_the_alarmed_job_codes_are_job_failure_codes() -> None:
    """The monitoring module alarms on some failure codes by name: a renamed code would silence its alarm."""
    variables = Path(__file__).resolve().parents[2] / "terraform/modules/monitoring/variables.tf"
    block = variables.read_text(encoding="utf-8").split('variable "operator_error_codes"')[1]
    match = re.search(r"default\s*=\s*(\[[^\]]*\])", block)
    assert match, "operator_error_codes has no default list"
    alarmed = json.loads(match.group(1))
    assert alarmed and set(alarmed) <= set(job_failure_codes()), alarmed
