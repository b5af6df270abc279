"""Creates every resource the pipeline needs on an emulator (moto, LocalStack), from the services' own settings.

Production resources come from Terraform; this is the local equivalent and is idempotent, so running it twice
(or against a half-provisioned emulator) is safe.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from core.api_keys import DEV_KEY_ID, LOCAL_DEV_API_KEY, LOCAL_DEV_SIGNING_SECRET, ApiKeyStore, KeyExistsError
from core.aws import AwsClients
from core.config import Settings
from core.keys import UPLOADS_PREFIX
from core.listing import INDEXES
from core.store import LEASES_INDEX
from core.webhooks.subscription import CALLBACKS_FILTER_POLICY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeDefinitionTypeDef, GlobalSecondaryIndexTypeDef


@dataclass(frozen=True)
class Provisioned:
    queue_url: str
    queue_arn: str
    dlq_url: str
    topic_arn: str
    rule_arn: str
    callbacks_queue_url: str = ""


def event_pattern(bucket: str) -> dict[str, object]:
    """EventBridge pattern: objects created in the uploads bucket under the uploads prefix."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": UPLOADS_PREFIX}]}},
    }


def _create_bucket(clients: AwsClients, name: str) -> None:
    kwargs: dict[str, object] = {"Bucket": name}
    if clients.settings.aws_region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.settings.aws_region}
    try:
        clients.s3.create_bucket(**kwargs)  # type: ignore[arg-type]
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _create_keys_table(clients: AwsClients) -> None:
    """The API keys' table, and on a local stack its published dev key (never seeded anywhere else)."""
    s, db = clients.settings, clients.dynamodb
    _create_table(clients, s.api_keys_table, "key_id")
    if s.environment == "local":
        with contextlib.suppress(KeyExistsError):
            ApiKeyStore(db, s.api_keys_table).create(
                "local dev key",
                key_id=DEV_KEY_ID,
                token=LOCAL_DEV_API_KEY,
                signing_secret=LOCAL_DEV_SIGNING_SECRET,
                rate_per_minute=s.default_rate_per_minute,
            )


def _listing_attributes() -> list[AttributeDefinitionTypeDef]:
    keys = sorted({key for pair in INDEXES.values() for key in pair})
    return [{"AttributeName": key, "AttributeType": "S"} for key in keys]


def _listing_indexes() -> list[GlobalSecondaryIndexTypeDef]:
    return [
        {
            "IndexName": name,
            "KeySchema": [
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": range_key, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for name, (hash_key, range_key) in INDEXES.items()
    ]


def _create_rate_limits_table(clients: AwsClients) -> None:
    """Per-key request counts (core/rate_limits.py): one item per key and minute, removed by TTL."""
    _create_table(clients, clients.settings.rate_limits_table, "window_id", ttl=True)


def _create_table(
    clients: AwsClients,
    name: str,
    hash_key: str,
    *,
    attributes: Sequence[AttributeDefinitionTypeDef] = (),
    indexes: Sequence[GlobalSecondaryIndexTypeDef] = (),
    ttl: bool = False,
) -> None:
    """An on-demand table with a string hash key (and `indexes`), unless it exists; with `ttl`, expiring items by
    `expires_at`, as Terraform's tables do."""
    db = clients.dynamodb
    try:
        db.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}, *attributes],
            KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            **({"GlobalSecondaryIndexes": list(indexes)} if indexes else {}),  # type: ignore[arg-type]
        )
        db.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if ttl:
        _enable_ttl(clients, name)


def _send_only_from(sid: str, service: str, queue_arn: str, source_arn: str) -> dict[str, object]:
    """A queue policy: `service` may send to the queue only on behalf of `source_arn` (as terraform's policies)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            }
        ],
    }


def _enable_ttl(clients: AwsClients, table: str) -> None:
    try:
        clients.dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    except ClientError as exc:
        # Re-running against a table whose TTL is already on.
        if exc.response["Error"]["Code"] != "ValidationException":
            raise


def provision(clients: AwsClients) -> Provisioned:
    s = clients.settings
    s3, sqs, events, sns = clients.s3, clients.sqs, clients.events, clients.sns

    _create_bucket(clients, s.uploads_bucket)
    _create_bucket(clients, s.outputs_bucket)
    s3.put_bucket_notification_configuration(
        Bucket=s.uploads_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    # Browsers upload with the presigned POST straight from the results page.
    s3.put_bucket_cors(
        Bucket=s.uploads_bucket,
        CORSConfiguration={
            "CORSRules": [{"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"]}]
        },
    )
    s3.put_bucket_cors(
        Bucket=s.outputs_bucket,
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]},
    )

    dlq_url = sqs.create_queue(QueueName=s.dlq_name, Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=s.queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    rule_arn = events.put_rule(
        Name=s.event_rule_name, EventPattern=json.dumps(event_pattern(s.uploads_bucket)), State="ENABLED"
    )["RuleArn"]
    events.put_targets(Rule=s.event_rule_name, Targets=[{"Id": "jobs-queue", "Arn": queue_arn}])

    policy = _send_only_from("OnlyTheUploadRule", "events.amazonaws.com", queue_arn, rule_arn)
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "VisibilityTimeout": str(s.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": s.max_receive_count}),
            "Policy": json.dumps(policy),
        },
    )

    _create_table(
        clients,
        s.jobs_table,
        "job_id",
        attributes=[
            {"AttributeName": "lease_shard", "AttributeType": "N"},
            {"AttributeName": "lease_until", "AttributeType": "N"},
            *_listing_attributes(),
        ],
        # The same indexes as terraform/modules/data-plane: the sweeper's view of live leases (core/store.py).
        indexes=[
            {
                "IndexName": LEASES_INDEX,
                "KeySchema": [
                    {"AttributeName": "lease_shard", "KeyType": "HASH"},
                    {"AttributeName": "lease_until", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            # An owner's jobs, newest first, and those with one client_ref (core/listing.py).
            *_listing_indexes(),
        ],
        ttl=True,
    )

    _create_keys_table(clients)
    _create_rate_limits_table(clients)

    topic_arn = sns.create_topic(Name=s.topic_name)["TopicArn"]
    callbacks_url = _create_callbacks_queue(clients, topic_arn)
    return Provisioned(
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        topic_arn=topic_arn,
        rule_arn=rule_arn,
        callbacks_queue_url=callbacks_url,
    )


def callbacks_max_receive_count(settings: Settings) -> int:
    """Receives before a callbacks message is dead-lettered: more than the dispatcher's own attempts (one plus one
    per retry wait), so it gives up by its schedule first and the DLQ keeps only messages it could not handle."""
    return len(settings.webhook_retry_schedule_seconds) + 3


def _create_callbacks_queue(clients: AwsClients, topic_arn: str) -> str:
    """The webhooks' queue (worker/callbacks.py) and its DLQ, subscribed to the outcome topic with raw delivery (each
    message is an outcome as published) and a filter policy: only the outcomes of ended jobs with a webhook. The same
    as terraform/modules/data-plane (callbacks.tf)."""
    s, sqs = clients.settings, clients.sqs
    dlq_url = sqs.create_queue(QueueName=s.callbacks_dlq_name, Attributes={"MessageRetentionPeriod": "1209600"})
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]
    url = sqs.create_queue(QueueName=s.callbacks_queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = _send_only_from("OnlyTheOutcomeTopic", "sns.amazonaws.com", arn, topic_arn)
    redrive = {"deadLetterTargetArn": dlq_arn["QueueArn"], "maxReceiveCount": callbacks_max_receive_count(s)}
    sqs.set_queue_attributes(
        QueueUrl=url,
        # Longer than the longest retry wait, so no message expires while it waits for its last attempt.
        Attributes={
            "Policy": json.dumps(policy),
            "RedrivePolicy": json.dumps(redrive),
            "MessageRetentionPeriod": "345600",
        },
    )
    subscriptions = [
        sub["SubscriptionArn"]
        for page in clients.sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        for sub in page.get("Subscriptions", [])
        if sub["Endpoint"] == arn
    ]
    policy_json = json.dumps(CALLBACKS_FILTER_POLICY)
    if not subscriptions:
        clients.sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true", "FilterPolicy": policy_json},
        )
    for subscription in subscriptions:
        # A stack provisioned before the policy changed gets the current one.
        clients.sns.set_subscription_attributes(
            SubscriptionArn=subscription, AttributeName="FilterPolicy", AttributeValue=policy_json
        )
    return url
