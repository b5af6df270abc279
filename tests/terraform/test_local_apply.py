"""envs/local applied to a fresh moto server: the resources exist as configured, an upload under uploads/ reaches
the queue through S3 -> EventBridge -> SQS, and the API and a worker configured only from `terraform output` run a
real job on them. Destroyed afterwards.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from cli.processes import start_api, start_worker
from core.aws import AwsClients
from core.config import Settings
from core.listing import INDEXES
from core.store import LEASES_INDEX
from core.webhooks.subscription import CALLBACKS_FILTER_POLICY
from harness.images import png
from harness.jobs import submit, wait_for_job
from harness.queues import SnsInbox
from tests.support import run_module
from tests.terraform.tf_support import TerraformLocalStack


def settings_from(env: Mapping[str, str]) -> Settings:
    """The app's settings exactly as `imgpipe api` / `imgpipe worker` would read them from this environment."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return Settings()


@pytest.fixture(scope="module")
def outputs(terraform_local_stack: TerraformLocalStack) -> dict[str, Any]:
    return terraform_local_stack.outputs


@pytest.fixture(scope="module")
def clients(terraform_local_stack: TerraformLocalStack) -> Iterator[AwsClients]:
    """The app's own client factory, configured from the outputs (credentials stay set: clients are made lazily)."""
    env = terraform_local_stack.process_env
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield AwsClients(settings_from(env))


def test_outputs_configure_the_app(terraform_local_stack: TerraformLocalStack, outputs: dict[str, Any]) -> None:
    env = terraform_local_stack.service_env
    unknown = sorted(k for k in env if k.removeprefix("IMGPIPE_").lower() not in Settings.model_fields)
    assert not unknown, f"service_env names settings the app does not have: {unknown}"

    settings = settings_from(env)
    assert settings.aws_endpoint_url == terraform_local_stack.endpoint_url
    assert settings.environment == "local"
    assert settings.uploads_bucket == outputs["uploads_bucket_name"]
    assert settings.outputs_bucket == outputs["outputs_bucket_name"]
    assert settings.jobs_table == outputs["jobs_table_name"]
    assert settings.queue_name == outputs["queue_name"]
    assert settings.dlq_name == outputs["dlq_name"]
    assert settings.topic_name == outputs["topic_name"]
    assert settings.event_rule_name == outputs["event_rule_name"]
    assert settings.visibility_timeout_seconds == 120
    assert settings.max_receive_count == 5


def test_buckets_are_private_encrypted_and_expire(clients: AwsClients, outputs: dict[str, Any]) -> None:
    s3 = clients.s3
    for bucket, prefix in (
        (outputs["uploads_bucket_name"], "uploads/"),
        (outputs["outputs_bucket_name"], "processed/"),
    ):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), block
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        lifecycle = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
        expire = lifecycle[f"expire-{prefix.rstrip('/')}"]
        assert expire["Filter"]["Prefix"] == prefix and expire["Expiration"]["Days"] >= 1
        assert lifecycle["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
            "DaysAfterInitiation": 1
        }
        # enforce_tls is off for the emulator: a TLS-only policy would make moto refuse plain-HTTP requests.
        with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
            s3.get_bucket_policy(Bucket=bucket)

    uploads = outputs["uploads_bucket_name"]
    # (moto does not read back the EventBridge notification setting; the upload test below shows it works.)
    # The results page uploads from the browser: the same rules as the local stack's (core/provision.py).
    # (moto's server answers every preflight permissively, so only the stored rules can be checked here.)
    assert _cors_rules(s3, uploads) == [{"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"]}]
    assert _cors_rules(s3, outputs["outputs_bucket_name"]) == [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]


def _cors_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    # The provider always sends MaxAgeSeconds (0 when unset: no preflight caching), core/provision.py never does.
    rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    return [{k: v for k, v in rule.items() if k != "MaxAgeSeconds"} for rule in rules]


def test_queue_redrives_to_dlq_and_admits_only_the_rule(clients: AwsClients, outputs: dict[str, Any]) -> None:
    attrs = clients.sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "120"
    assert attrs["SqsManagedSseEnabled"] == "true"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": outputs["dlq_arn"], "maxReceiveCount": 5}
    (statement,) = json.loads(attrs["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Resource"] == outputs["queue_arn"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": outputs["event_rule_arn"]}}

    dlq = clients.sqs.get_queue_attributes(QueueUrl=outputs["dlq_url"], AttributeNames=["All"])["Attributes"]
    assert int(dlq["MessageRetentionPeriod"]) > int(attrs["MessageRetentionPeriod"])


def test_table_topic_and_rule(clients: AwsClients, outputs: dict[str, Any]) -> None:
    db = clients.dynamodb
    table = db.describe_table(TableName=outputs["jobs_table_name"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # The indexes the stranded-job sweeper and the clients' lists query, keyed as the app writes them (and
    # core/provision.py creates them).
    indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
    assert indexes == {
        LEASES_INDEX: [
            {"AttributeName": "lease_shard", "KeyType": "HASH"},
            {"AttributeName": "lease_until", "KeyType": "RANGE"},
        ],
        **{
            name: [{"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": range_key, "KeyType": "RANGE"}]
            for name, (hash_key, range_key) in INDEXES.items()
        },
    }
    ttl = db.describe_time_to_live(TableName=outputs["jobs_table_name"])["TimeToLiveDescription"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("expires_at", "ENABLED")
    backups = db.describe_continuous_backups(TableName=outputs["jobs_table_name"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    topic = clients.sns.get_topic_attributes(TopicArn=outputs["topic_arn"])["Attributes"]
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"

    # The per-key request counts (core/rate_limits.py), named in the service's settings.
    counts = clients.settings.rate_limits_table
    assert db.describe_table(TableName=counts)["Table"]["KeySchema"] == [
        {"AttributeName": "window_id", "KeyType": "HASH"}
    ]
    ttl = db.describe_time_to_live(TableName=counts)["TimeToLiveDescription"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == ("expires_at", "ENABLED")

    targets = clients.events.list_targets_by_rule(Rule=outputs["event_rule_name"])["Targets"]
    assert [t["Arn"] for t in targets] == [outputs["queue_arn"]]


def test_the_callbacks_queue_takes_what_the_local_stack_s_does(clients: AwsClients, outputs: dict[str, Any]) -> None:
    """The webhooks' subscription filters on the attributes the publisher sets, with the policy core/provision.py
    subscribes with: only ended jobs that have a webhook reach the dispatcher."""
    subscriptions = clients.sns.list_subscriptions_by_topic(TopicArn=outputs["topic_arn"])["Subscriptions"]
    (callbacks,) = [s for s in subscriptions if s["Endpoint"].endswith(f":{clients.settings.callbacks_queue_name}")]
    attributes = clients.sns.get_subscription_attributes(SubscriptionArn=callbacks["SubscriptionArn"])["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"
    assert json.loads(attributes["FilterPolicy"]) == CALLBACKS_FILTER_POLICY


def test_alarms_notify_the_encrypted_alarm_topic(clients: AwsClients, outputs: dict[str, Any]) -> None:
    """The monitoring module as created: every alarm notifies the alarm topic when it fires and when it recovers,
    the topic is encrypted with a key CloudWatch may use, and the dashboard is stored. (moto evaluates no alarm.)"""
    cloudwatch = clients.client("cloudwatch")
    names: dict[str, str] = outputs["alarm_names"]
    topic = outputs["alarm_topic_arn"]
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=list(names.values()))["MetricAlarms"]}
    assert set(alarms) == set(names.values())
    assert all(a["AlarmActions"] == [topic] and a["OKActions"] == [topic] for a in alarms.values()), alarms

    dlq = alarms[names["dlq-depth"]]
    assert dlq["Namespace"] == "AWS/SQS" and dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": outputs["dlq_name"]}]
    assert (dlq["ComparisonOperator"], dlq["Threshold"]) == ("GreaterThanThreshold", 0)
    share = {q["Id"]: q for q in alarms[names["jobs-failed-share"]]["Metrics"]}
    assert share["failed"]["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "Status", "Value": "failed"}]
    assert share["e1"]["ReturnData"] is True

    attributes = clients.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    publishers = [s for s in json.loads(attributes["Policy"])["Statement"] if s["Action"] == "sns:Publish"]
    assert [s["Principal"] for s in publishers] == [{"Service": "cloudwatch.amazonaws.com"}]
    key_policy = clients.client("kms").get_key_policy(KeyId=attributes["KmsMasterKeyId"], PolicyName="default")
    assert any(
        s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and "kms:GenerateDataKey*" in s["Action"]
        for s in json.loads(key_policy["Policy"])["Statement"]
    )

    body = json.loads(cloudwatch.get_dashboard(DashboardName=outputs["dashboard_name"])["DashboardBody"])
    assert "Jobs per minute by status" in [w["properties"]["title"] for w in body["widgets"]]


def test_undeliverable_events_go_to_the_events_dlq(clients: AwsClients, outputs: dict[str, Any]) -> None:
    """EventBridge retries a failed delivery, then moves the event to the events DLQ instead of dropping it."""
    (target,) = clients.events.list_targets_by_rule(Rule=outputs["event_rule_name"])["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": outputs["events_dlq_arn"]}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 185}
    assert outputs["events_dlq_name"] == "imgpipe-events-dlq"

    attrs = clients.sqs.get_queue_attributes(QueueUrl=outputs["events_dlq_url"], AttributeNames=["All"])["Attributes"]
    assert attrs["SqsManagedSseEnabled"] == "true"
    (statement,) = json.loads(attrs["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == outputs["events_dlq_arn"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": outputs["event_rule_arn"]}}


def _drain(
    clients: AwsClients, queue_url: str, *, quiet_seconds: float = 2, timeout: float = 20
) -> list[dict[str, Any]]:
    """Every message that arrives until the queue has been empty for `quiet_seconds` (deleting what it reads)."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < quiet_seconds:
        batch = clients.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in batch:
            clients.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        if batch:
            messages += batch
            quiet_since = time.monotonic()
    return messages


def test_upload_under_prefix_reaches_the_queue(clients: AwsClients, outputs: dict[str, Any]) -> None:
    bucket = outputs["uploads_bucket_name"]
    key = f"uploads/{uuid.uuid4()}/source"
    clients.s3.put_object(Bucket=bucket, Key="elsewhere/not-a-job.txt", Body=b"ignored by the rule")
    clients.s3.put_object(Bucket=bucket, Key=key, Body=b"\x89PNG not really", ContentType="image/png")

    events = [json.loads(m["Body"]) for m in _drain(clients, outputs["queue_url"])]

    assert [e["detail"]["object"]["key"] for e in events] == [key], events
    (event,) = events
    assert event["source"] == "aws.s3"
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == bucket


def test_a_job_runs_on_what_terraform_created(
    terraform_local_stack: TerraformLocalStack, clients: AwsClients, outputs: dict[str, Any]
) -> None:
    """The API and a worker configured only from `terraform output` (plus emulator credentials) run one job, with
    a key the operator made with `imgpipe keys create` in the table Terraform created."""
    env = terraform_local_stack.process_env
    created = run_module("cli.main", "keys", "create", "terraform test", "--json", env=env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["api_key"]
    inbox = SnsInbox(clients.sqs, clients.sns, outputs["topic_arn"])
    api_service = start_api(env)
    worker = start_worker(env)
    try:
        assert api_service.url is not None
        with httpx.Client(base_url=api_service.url, headers={"X-API-Key": key}, timeout=30) as api:
            job_id = submit(api, png(320, 240), "image/png", "terraform.png")
            job = wait_for_job(api, job_id)
        assert job["status"] == "completed", job
        stored = clients.s3.list_objects_v2(Bucket=outputs["outputs_bucket_name"], Prefix=f"processed/{job_id}/")
        assert {o["Key"] for o in stored.get("Contents", [])} == {o["key"] for o in job["result"]["outputs"]}
        item = clients.dynamodb.get_item(TableName=outputs["jobs_table_name"], Key={"job_id": {"S": job_id}})
        assert item["Item"]["status"] == {"S": "completed"}
        [message] = inbox.for_job(job_id)
        assert message["attributes"]["status"] == "completed"
        assert worker.alive(), "the worker exited while running the job"
    finally:
        worker_code = worker.stop()
        api_service.stop()
    assert worker_code == 0, f"the worker exited with {worker_code} on SIGTERM"
