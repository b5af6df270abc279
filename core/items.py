"""A job as a DynamoDB item and back."""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from core.jobs import Job

serializer = TypeSerializer()
deserializer = TypeDeserializer()

# Nested results hold floats (DynamoDB wants Decimal) and can be large; they are stored as one JSON string.
_JSON_FIELDS = ("result", "error", "recipe")


def to_item(job: Job) -> dict[str, Any]:
    data = job.model_dump(mode="json", exclude_none=True)
    for field in _JSON_FIELDS:
        if field in data:
            data[field] = json.dumps(data[field], separators=(",", ":"))
    return {k: serializer.serialize(v) for k, v in data.items()}


def from_item(item: dict[str, Any]) -> Job:
    data = {k: deserializer.deserialize(v) for k, v in item.items()}
    for field in _JSON_FIELDS:
        if field in data:
            data[field] = json.loads(data[field])
    # Numbers come back as Decimal; the model's int fields take whole ones (pydantic refuses a fraction).
    return Job.model_validate(data)
