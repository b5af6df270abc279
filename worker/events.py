"""Parsing SQS message bodies into upload events, tolerant of the shapes AWS and the emulators send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus


class MalformedEventError(ValueError):
    """The message is not an event we can read; it will never become readable, so it is dropped with a log."""


@dataclass(frozen=True)
class UploadEvent:
    bucket: str
    key: str
    etag: str | None
    uploaded_at: datetime | None = None


def _event_time(value: object) -> datetime | None:
    """When the upload happened: ISO 8601 from AWS ("2026-12-01T15:04:05Z"), epoch seconds from moto."""
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None  # unknown: the worker then uses its own clock


def _from_eventbridge(body: dict[str, Any]) -> list[UploadEvent]:
    if body.get("detail-type") != "Object Created":
        return []
    detail = body.get("detail") or {}
    obj = detail.get("object") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = obj.get("key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise MalformedEventError("Object Created event without bucket name or object key")
    # AWS spells it `etag`, moto `eTag`.
    etag = obj.get("etag", obj.get("eTag"))
    return [
        UploadEvent(
            bucket=bucket,
            # Keys may arrive URL-encoded (spaces as '+'); ours never contain '+' or '%', so decoding is safe.
            key=unquote_plus(key),
            etag=str(etag).strip('"') if etag else None,
            uploaded_at=_event_time(body.get("time")),
        )
    ]


def _from_s3_notification(body: dict[str, Any]) -> list[UploadEvent]:
    # Direct S3 -> SQS notifications (not our wiring, but a common one): {"Records": [{"s3": {...}}]}.
    events = []
    for record in body.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        bucket = (s3.get("bucket") or {}).get("name")
        if not isinstance(bucket, str) or not isinstance(obj.get("key"), str):
            raise MalformedEventError("S3 record without bucket name or object key")
        events.append(
            UploadEvent(
                bucket=bucket,
                key=unquote_plus(obj["key"]),
                etag=obj.get("eTag", obj.get("etag")),
                uploaded_at=_event_time(record.get("eventTime")),
            )
        )
    return events


def parse_message(body: str) -> list[UploadEvent]:
    """The upload events in one message body; [] for events we do not act on (tests, other types)."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedEventError(f"message body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedEventError("message body is not a JSON object")
    if "Records" in data:
        return _from_s3_notification(data)
    if "detail-type" in data:
        return _from_eventbridge(data)
    if data.get("Event") == "s3:TestEvent":
        return []
    raise MalformedEventError("message is neither an EventBridge event nor an S3 notification")
