"""AWS list prices the cost table uses: us-east-1, on demand, no free tier. One dated table: update it here.

Recorded 2026-12-01 from the services' pricing pages as last known to the author (this machine has no internet):
check them against https://aws.amazon.com/<service>/pricing/ before relying on a cost figure.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_DATE = "2026-12-01"
REGION = "us-east-1"

FARGATE_VCPU_HOUR = {"X86_64": 0.04048, "ARM64": 0.03238}  # USD per vCPU-hour, Linux
FARGATE_GB_HOUR = {"X86_64": 0.004445, "ARM64": 0.00356}  # USD per GB-hour
S3_PUT_PER_1000 = 0.005  # PUT, COPY, POST, LIST (S3 Standard)
S3_GET_PER_1000 = 0.0004  # GET, SELECT and others
S3_GB_MONTH = 0.023  # S3 Standard, first 50 TB
SQS_PER_MILLION = 0.40  # standard queue requests (each 64 KB chunk)
DYNAMODB_WRITE_PER_MILLION = 0.625  # on-demand write request units (price cut of 2024-11)
DYNAMODB_READ_PER_MILLION = 0.125  # on-demand read request units
SNS_PUBLISH_PER_MILLION = 0.50  # standard topic publishes (SQS subscribers: no delivery charge)
REKOGNITION_PER_IMAGE = 0.001  # Image API group 1 and 2, first 1M images a month: DetectLabels, DetectText each


@dataclass(frozen=True)
class PerJob:
    """Requests one job makes, counted along the code path (api/, worker/), not measured."""

    s3_puts: int = 5  # the client's presigned POST upload, 3 thumbnails, the processed WebP
    s3_gets: int = 1  # the worker fetches the upload
    # At most a receive and a delete per job: a receive takes several messages from a backlog (0.7 per job in the
    # pinned drain, bench/README.md 4b) and deletes go up to ten to a batch; a visibility change only on a retry or
    # for a job longer than a third of the visibility timeout.
    sqs_requests: int = 2
    dynamodb_writes: int = 5  # create, claim, complete, notified mark, lease index removal (items < 1 KB)
    dynamodb_reads: int = 2  # the worker's consistent read, one client GET
    sns_publishes: int = 1
    rekognition_images: int = 2  # DetectText + DetectLabels, analysis on only


PER_JOB = PerJob()
