"""/v1/jobs over real HTTP against the local stack, and the presigned POST policy (moto does not enforce it)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cli.stack import LocalStack
from core.aws import AwsClients
from core.config import Settings
from core.keys import upload_key
from core.store import JobStore
from tests.analysis_results import RESULT_WITH_ANALYSIS
from tests.support import pending_job


def _create(api: httpx.Client, **overrides: object) -> httpx.Response:
    body = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 1234, **overrides}
    return api.post("/v1/jobs", json=body)


def test_create_job_returns_a_presigned_post_pinned_to_the_job(
    api: httpx.Client, stack: LocalStack, clients: AwsClients
) -> None:
    response = _create(api, filename="../../etc/passwd.jpg")
    assert response.status_code == 201
    body = response.json()
    job_id = body["job_id"]
    assert uuid.UUID(job_id).version == 4
    assert body["status"] == "upload_pending"
    assert response.headers["location"] == f"/v1/jobs/{job_id}"

    upload = body["upload"]
    assert upload["method"] == "POST"
    assert upload["url"].endswith(f"/{stack.settings.uploads_bucket}")
    fields = upload["fields"]
    # The server picks the key: the user's file name never becomes part of it.
    assert fields["key"] == upload_key(job_id) == f"uploads/{job_id}/source"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4, not the SigV2 default of this boto3

    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions
    assert {"bucket": stack.settings.uploads_bucket} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    # Pinned to the declared size: S3 refuses any other body, so `size_bytes` is what gets processed.
    assert ["content-length-range", 1234, 1234] in conditions
    assert [c for c in conditions if isinstance(c, list) and c[0] == "content-length-range"] == [
        ["content-length-range", 1234, 1234]
    ]
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    expected = datetime.now(UTC) + timedelta(seconds=stack.settings.upload_url_ttl_seconds)
    assert abs((expiration - expected).total_seconds()) < 30
    assert abs((datetime.fromisoformat(upload["expires_at"]) - expiration).total_seconds()) < 2

    item = clients.dynamodb.get_item(TableName=stack.settings.jobs_table, Key={"job_id": {"S": job_id}})["Item"]
    assert item["status"]["S"] == "upload_pending"
    assert item["filename"]["S"] == "../../etc/passwd.jpg"
    retention = int(item["expires_at"]["N"]) - datetime.now(UTC).timestamp()
    assert abs(retention - stack.settings.job_retention_days * 86400) < 60
    assert item["created_at"]["S"] == item["updated_at"]["S"]


def test_get_job_reads_it_back(api: httpx.Client) -> None:
    job_id = _create(api).json()["job_id"]
    job = api.get(f"/v1/jobs/{job_id}").json()
    assert job["job_id"] == job_id
    assert job["status"] == "upload_pending"
    assert (job["filename"], job["content_type"], job["size_bytes"]) == ("photo.jpg", "image/jpeg", 1234)
    assert job["error"] is None and job["result"] is None


def test_a_completed_job_shows_its_analysis_and_words_only_when_asked(api: httpx.Client, store: JobStore) -> None:
    claimed = store.claim(pending_job(store).job_id, etag="e1", lease_seconds=60)
    assert claimed is not None and store.complete(claimed, RESULT_WITH_ANALYSIS) is not None
    assert RESULT_WITH_ANALYSIS.analysis is not None
    expected = RESULT_WITH_ANALYSIS.analysis.model_dump(mode="json")
    full = api.get(f"/v1/jobs/{claimed.job_id}").json()["result"]["analysis"]
    assert full == expected
    light = api.get(f"/v1/jobs/{claimed.job_id}", params={"words": "false"}).json()["result"]["analysis"]
    assert light == {**expected, "words": None}


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"content_type": "image/gif"}, 415, "unsupported_content_type"),
        ({"content_type": "text/html"}, 415, "unsupported_content_type"),
        ({"size_bytes": 20 * 1024 * 1024 + 1}, 413, "file_too_large"),
        ({"size_bytes": 0}, 422, "validation_error"),
        # Not integers in JSON (issue 15 point 7): pydantic's lax int would have taken each of them.
        ({"size_bytes": True}, 422, "validation_error"),
        ({"size_bytes": "1234"}, 422, "validation_error"),
        ({"size_bytes": 1234.5}, 422, "validation_error"),
        ({"filename": ""}, 422, "validation_error"),
        ({"unexpected": 1}, 422, "validation_error"),
    ],
)
def test_bad_create_requests_get_specific_errors(
    api: httpx.Client, overrides: dict[str, object], status: int, code: str
) -> None:
    response = _create(api, **overrides)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_content_type_is_exactly_one_of_the_documented_values(api: httpx.Client) -> None:
    """The document's enum is the rule (issue 15 point 7): other spellings are refused, naming the accepted ones."""
    for spelling in ("Image/PNG", "image/png; charset=binary", " image/png"):
        response = _create(api, content_type=spelling)
        assert response.status_code == 415, spelling
        assert response.json()["error"]["details"] == {"accepted": sorted(Settings().accepted_content_types)}
    response = _create(api, content_type="image/png")
    assert response.status_code == 201
    assert {"Content-Type": "image/png"} in json.loads(base64.b64decode(response.json()["upload"]["fields"]["policy"]))[
        "conditions"
    ]


def test_unknown_and_malformed_job_ids(api: httpx.Client) -> None:
    missing = api.get(f"/v1/jobs/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "job_not_found"
    # Only the canonical form the document's `format: uuid` names; uuid.UUID alone would take the other spellings.
    hex_id = uuid.uuid4().hex
    for malformed_id in ("not-a-uuid", hex_id, f"urn:uuid:{uuid.UUID(hex_id)}", f"{{{uuid.UUID(hex_id)}}}"):
        malformed = api.get(f"/v1/jobs/{malformed_id}")
        assert malformed.status_code == 400, malformed_id
        assert malformed.json()["error"]["code"] == "invalid_job_id"


def test_api_key_is_required_except_for_health_and_docs(stack: LocalStack) -> None:
    assert stack.api is not None and stack.api.url is not None
    with httpx.Client(base_url=stack.api.url) as anonymous:
        missing = anonymous.get(f"/v1/jobs/{uuid.uuid4()}")
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
        wrong = anonymous.post("/v1/jobs", json={}, headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").json() == {"status": "ready"}
        assert anonymous.get("/docs").status_code == 200
        assert anonymous.get("/nowhere").json()["error"]["code"] == "not_found"


def test_openapi_documents_auth_errors_and_examples(stack: LocalStack) -> None:
    assert stack.api is not None
    spec = httpx.get(f"{stack.api.url}/openapi.json").json()
    assert spec["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Your API key (the local stack prints its key at start).",
    }
    create = spec["paths"]["/v1/jobs"]["post"]
    assert {"201", "401", "413", "415", "422"} <= set(create["responses"])
    assert create["security"] == [{"APIKeyHeader": []}]
    assert spec["components"]["schemas"]["CreateJobRequest"]["examples"]
    get = spec["paths"]["/v1/jobs/{job_id}"]["get"]
    assert {"200", "400", "401", "404"} <= set(get["responses"])
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_abandoned_upload_reads_as_expired(api: httpx.Client, store: JobStore) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    job_id = pending_job(
        store,
        filename="never.jpg",
        content_type="image/jpeg",
        created=long_ago,
    ).job_id
    job = api.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "expired"
    assert job["error"]["code"] == "upload_expired"


def test_readyz_reports_an_unreachable_table() -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from cli.processes import free_port
    from core.config import Settings

    settings = Settings(aws_endpoint_url=f"http://127.0.0.1:{free_port()}", aws_max_attempts=1)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"
