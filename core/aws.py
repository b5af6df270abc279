"""The one place that builds AWS clients: endpoint, region, retries and S3 signing are decided here only."""

from __future__ import annotations

import random
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from core.config import Settings
from core.deadline import guard

# Emulators accept any credentials; real ones must never be sent to one.
EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_rekognition.client import RekognitionClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sts.client import STSClient


class AwsClients:
    """Lazily built, thread-safe boto3 clients for one Settings (boto3 clients may be shared across threads)."""

    def __init__(self, settings: Settings, *, api: bool = False, validate: bool = True) -> None:
        """`api=True`: short timeouts and few attempts, bounded by each request's deadline (core/deadline.py), so a
        stalled dependency answers a client in seconds; the worker keeps patient defaults (it has no one waiting).
        `validate=False`: botocore does not check each request's parameters against the API model before sending."""
        self.settings = settings
        self.api = api
        self.validate = validate
        # A session of our own: the default session is not thread-safe to create clients from. boto3's Session sets
        # its region and boto3's handlers on it; clients come from its create_client (what boto3's Session.client
        # calls), which takes any service name, where the stubs' Session.client takes only literal ones.
        self._session = botocore.session.get_session()
        boto3.session.Session(botocore_session=self._session, region_name=settings.aws_region)
        if settings.aws_endpoint_url and settings.environment == "local":
            # The local emulator needs no credentials of the operator's (and must never get real ones).
            self._session.set_credentials(*EMULATOR_CREDENTIALS.values())

    @classmethod
    def for_api(cls, settings: Settings) -> AwsClients:
        return cls(settings, api=True)

    @classmethod
    def for_worker(cls, settings: Settings) -> AwsClients:
        """Without client-side parameter validation: the worker's requests are built by its own code (typed against
        the API model, and tested against the emulator) ten or so times per job, and the check costs client CPU on
        every one (bench/README.md, 4b); AWS validates them anyway."""
        return cls(settings, validate=False)

    def _config(self, **extra: Any) -> Config:
        # botocore's standard retry mode handles throttling and transient 5xx with backoff; no loops of our own.
        s = self.settings
        options: dict[str, Any] = {
            "retries": {"mode": "standard", "max_attempts": s.api_aws_max_attempts if self.api else s.aws_max_attempts},
            "connect_timeout": s.api_aws_connect_timeout_seconds if self.api else 5,
            "read_timeout": s.api_aws_read_timeout_seconds if self.api else 30,
            # Every job thread and its output-upload threads (worker/pipeline.py) at once, plus the sweeper's and the
            # dispatcher's calls: a smaller pool discards connections and opens new ones under load.
            "max_pool_connections": max(10, 5 * s.worker_concurrency + 2),
            "parameter_validation": self.validate,
        }
        return Config(**(options | extra))

    # One overload per service used here, so each property's client is typed by its mypy_boto3 stubs.
    @overload
    def client(self, service: Literal["s3"], *, endpoint_url: str | None = None, **config: Any) -> S3Client: ...
    @overload
    def client(
        self, service: Literal["dynamodb"], *, endpoint_url: str | None = None, **config: Any
    ) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["sqs"], *, endpoint_url: str | None = None, **config: Any) -> SQSClient: ...
    @overload
    def client(self, service: Literal["sns"], *, endpoint_url: str | None = None, **config: Any) -> SNSClient: ...
    @overload
    def client(
        self, service: Literal["events"], *, endpoint_url: str | None = None, **config: Any
    ) -> EventBridgeClient: ...
    @overload
    def client(
        self, service: Literal["rekognition"], *, endpoint_url: str | None = None, **config: Any
    ) -> RekognitionClient: ...
    @overload
    def client(self, service: Literal["sts"], *, endpoint_url: str | None = None, **config: Any) -> STSClient: ...
    @overload
    def client(self, service: str, *, endpoint_url: str | None = None, **config: Any) -> BaseClient: ...

    def client(self, service: str, *, endpoint_url: str | None = None, **config: Any) -> BaseClient:
        client = self._session.create_client(
            service,
            endpoint_url=endpoint_url or self.settings.aws_endpoint_url,
            config=self._config(**config),
        )
        if self.settings.fault_injection_rate:
            client.meta.events.register("before-send", self._inject_fault)
        if self.api:
            # Worst case of one attempt: a connect that times out, or a connect then a read that does.
            attempt = self.settings.api_aws_connect_timeout_seconds + self.settings.api_aws_read_timeout_seconds
            client.meta.events.register("before-send", guard(attempt))
        return client

    def _inject_fault(self, request: Any, **_: Any) -> None:
        # Raised where a real network failure would be, so botocore's retry mode handles it like one.
        if random.random() < self.settings.fault_injection_rate:
            raise EndpointConnectionError(endpoint_url=request.url)

    def _s3(self, endpoint_url: str | None) -> S3Client:
        # SigV4 is required: this boto3 otherwise produces SigV2 URLs. Path-style for emulators' plain hosts.
        addressing = "path" if (endpoint_url or self.settings.aws_endpoint_url) else "virtual"
        return self.client(
            "s3", endpoint_url=endpoint_url, signature_version="s3v4", s3={"addressing_style": addressing}
        )

    @cached_property
    def s3(self) -> S3Client:
        return self._s3(None)

    @cached_property
    def s3_public(self) -> S3Client:
        """Signs URLs that clients outside the service network use (differs from `s3` only under compose)."""
        return self._s3(self.settings.s3_public_endpoint_url) if self.settings.s3_public_endpoint_url else self.s3

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")

    @cached_property
    def sqs(self) -> SQSClient:
        # Long polls hold the connection for up to 20 s: the read timeout must outlast them.
        return self.client("sqs", read_timeout=self.settings.queue_wait_seconds + 15)

    @cached_property
    def sns(self) -> SNSClient:
        return self.client("sns")

    @cached_property
    def events(self) -> EventBridgeClient:
        return self.client("events")

    @cached_property
    def rekognition(self) -> RekognitionClient:
        # Concurrent calls are capped by worker.analysis (a semaphore); the pool only has to cover that cap.
        return self.client(
            "rekognition",
            max_pool_connections=max(10, self.settings.rekognition_max_concurrency),
        )

    def queue_url(self, name: str) -> str:
        return self.sqs.get_queue_url(QueueName=name)["QueueUrl"]

    def topic_arn(self) -> str:
        """The topic's ARN, derived from its name and this account (SNS has no lookup by name)."""
        account = self.client("sts").get_caller_identity()["Account"]
        return f"arn:aws:sns:{self.settings.aws_region}:{account}:{self.settings.topic_name}"
