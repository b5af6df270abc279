from __future__ import annotations

import uuid

import pytest

from core.keys import job_id_from_upload_key, output_key, upload_key


def test_upload_keys_round_trip() -> None:
    job_id = str(uuid.uuid4())
    assert job_id_from_upload_key(upload_key(job_id)) == job_id
    assert output_key(job_id, "thumb-128.jpg") == f"processed/{job_id}/thumb-128.jpg"


@pytest.mark.parametrize(
    "key",
    [
        "uploads/not-a-uuid/source",
        f"uploads/{uuid.uuid4()}/other",
        f"other/{uuid.uuid4()}/source",
        f"uploads/{uuid.uuid4()}/source/extra",
        f"uploads/{str(uuid.uuid4()).upper()}/source",
        "uploads/",
    ],
)
def test_anything_else_is_not_an_upload(key: str) -> None:
    assert job_id_from_upload_key(key) is None
