"""POST /v1/jobs `analysis`: which analysis features a job asks for, validated and stored with the job."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.routes.jobs import _CREATE_EXAMPLES
from api.schemas import JOB_VIEW_EXAMPLES, CreateJobRequest, JobView
from core.analysis import AnalysisFeature
from core.idempotency import fingerprint
from core.store import JobStore

BODY = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 1234}


def _stored_features(store: JobStore, response: httpx.Response) -> list[AnalysisFeature]:
    assert response.status_code == 201, response.text
    job = store.get(response.json()["job_id"])
    assert job is not None
    return job.analysis_features


def test_a_job_keeps_the_features_it_asked_for(api: httpx.Client, store: JobStore) -> None:
    asked = ["moderation", "faces", "text"]
    assert _stored_features(store, api.post("/v1/jobs", json={**BODY, "analysis": asked})) == asked


def test_without_analysis_a_job_gets_text_and_labels_as_before(api: httpx.Client, store: JobStore) -> None:
    assert _stored_features(store, api.post("/v1/jobs", json=BODY)) == ["text", "labels"]


def test_an_empty_list_asks_for_no_analysis(api: httpx.Client, store: JobStore) -> None:
    assert _stored_features(store, api.post("/v1/jobs", json={**BODY, "analysis": []})) == []


@pytest.mark.parametrize(
    ("analysis", "words"),
    [
        (["text", "colour"], "body.analysis.1"),  # not a feature: the error points at it
        (["faces", "faces"], "repeated: faces"),
        ("text", None),  # a list, not a string
    ],
)
def test_bad_analysis_lists_are_refused(api: httpx.Client, analysis: object, words: str | None) -> None:
    response = api.post("/v1/jobs", json={**BODY, "analysis": analysis})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    if words:
        assert words in response.text


def test_spelling_out_the_default_replays_the_same_job(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    first = api.post("/v1/jobs", json=BODY, headers={"Idempotency-Key": key})
    again = api.post("/v1/jobs", json={**BODY, "analysis": ["text", "labels"]}, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["job_id"] == first.json()["job_id"]
    other = api.post("/v1/jobs", json={**BODY, "analysis": ["moderation"]}, headers={"Idempotency-Key": key})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_body_without_the_new_fields_keeps_the_fingerprint_it_had_before_them() -> None:
    # Idempotency records written before `analysis` existed still match a retry of the same body.
    assert fingerprint(CreateJobRequest.model_validate(BODY).identity()) == fingerprint(BODY)


def test_the_documented_examples_are_valid_bodies_and_views() -> None:
    for engine, example in JOB_VIEW_EXAMPLES.items():
        view = JobView.model_validate(example)
        assert view.result is not None and view.result.analysis is not None, engine
        assert view.result.analysis.features == ["text", "labels"]
    body = CreateJobRequest.model_validate(_CREATE_EXAMPLES["analysis"]["value"])
    assert body.analysis == ["labels", "moderation", "faces"]
