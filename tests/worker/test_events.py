"""Event parsing: EventBridge from AWS and moto, S3 notifications, junk."""

from __future__ import annotations

import json

import pytest

from worker.events import MalformedEventError, UploadEvent, parse_message


def _eventbridge(obj: dict[str, object], detail_type: str = "Object Created") -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": detail_type,
            "source": "aws.s3",
            "detail": {"version": "0", "bucket": {"name": "uploads"}, "object": obj, "reason": "PutObject"},
        }
    )


def test_aws_spelling() -> None:
    body = _eventbridge({"key": "uploads/a/source", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"})
    assert parse_message(body) == [UploadEvent("uploads", "uploads/a/source", "b1946ac92492d2347c6235b4d2611184")]


def test_moto_spelling() -> None:
    body = _eventbridge({"key": "uploads/a/source", "size": 5, "eTag": '"abc"', "version-id": "v1"})
    [event] = parse_message(body)
    assert event.etag == "abc"


def test_url_encoded_keys_are_decoded() -> None:
    [event] = parse_message(_eventbridge({"key": "uploads/my+photo%C3%A9.jpg", "size": 1}))
    assert event.key == "uploads/my photoé.jpg"


def test_s3_notification_records() -> None:
    body = json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/x%2By", "size": 3, "eTag": "e"}},
                },
                {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}},
            ]
        }
    )
    assert parse_message(body) == [UploadEvent("b", "uploads/x+y", "e")]


def test_events_we_do_not_act_on() -> None:
    assert parse_message(_eventbridge({"key": "k"}, detail_type="Object Deleted")) == []
    assert parse_message(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"hello": 1}), _eventbridge({"size": 1})])
def test_malformed_messages(body: str) -> None:
    with pytest.raises(MalformedEventError):
        parse_message(body)


def test_the_upload_time_is_read_from_either_spelling() -> None:
    from datetime import UTC, datetime

    body = json.loads(_eventbridge({"key": "uploads/a/source", "size": 5}))
    body["time"] = "2026-12-01T15:04:05Z"  # AWS
    [aws] = parse_message(json.dumps(body))
    body["time"] = 1796137445.5  # moto: epoch seconds
    [moto] = parse_message(json.dumps(body))
    body["time"] = "soon"
    [unreadable] = parse_message(json.dumps(body))
    assert aws.uploaded_at == datetime(2026, 12, 1, 15, 4, 5, tzinfo=UTC)
    assert moto.uploaded_at == datetime.fromtimestamp(1796137445.5, UTC)
    assert unreadable.uploaded_at is None  # the worker then uses its own clock
