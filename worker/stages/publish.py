"""Publishing a job's outcome to SNS, with a `status` attribute subscribers can filter on and a `dedup_id` they
can deduplicate on (SNS standard topics deliver at least once, and a publish can be retried).

Every outcome also says whether its job has a webhook, `has_callback` (core/webhooks/subscription.py): the callbacks
queue's subscription filters on it, so the webhook dispatcher receives only the outcomes it has to deliver."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.jobs import Job
from core.webhooks.subscription import HAS_CALLBACK

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef


def outcome_message(job: Job) -> dict[str, object]:
    message: dict[str, object] = {
        "job_id": job.job_id,
        "status": job.status.value,
        "updated_at": job.updated_at.isoformat(),
    }
    if job.error is not None:
        message["error"] = job.error.model_dump()
    if job.result is not None:
        message["outputs"] = {o.name: o.key for o in job.result.outputs}
        message["metadata"] = job.result.metadata.model_dump()
    return message


def dedup_id(job: Job) -> str:
    """The same for every publish of one outcome: job, outcome and the attempt that produced it."""
    return f"{job.job_id}:{job.status.value}:{job.attempts}"


def outcome_attributes(job: Job) -> dict[str, MessageAttributeValueTypeDef]:
    attributes: dict[str, MessageAttributeValueTypeDef] = {
        "status": {"DataType": "String", "StringValue": job.status.value},
        "job_id": {"DataType": "String", "StringValue": job.job_id},
        "dedup_id": {"DataType": "String", "StringValue": dedup_id(job)},
    }
    has_callback = "true" if job.callback_url is not None else "false"
    attributes[HAS_CALLBACK] = {"DataType": "String", "StringValue": has_callback}
    return attributes


def publish_outcome(sns: SNSClient, topic_arn: str, job: Job) -> None:
    sns.publish(TopicArn=topic_arn, Message=json.dumps(outcome_message(job)), MessageAttributes=outcome_attributes(job))
