"""Cost of a simulated run, per 1,000 images, from the dated price table (prices.py)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.capmodel import facts, prices
from bench.capmodel.sim import Result

MONTH_HOURS = 730


@dataclass(frozen=True)
class Cost:
    fargate: float
    s3: float
    sqs: float
    dynamodb: float
    sns: float
    rekognition: float

    @property
    def total(self) -> float:
        return self.fargate + self.s3 + self.sqs + self.dynamodb + self.sns + self.rekognition


def per_1000(result: Result, arch: str, bytes_per_job: int, concurrency: int, analysis: bool) -> Cost:
    """USD per 1,000 images. Storage: one month of the upload and its outputs. SQS: the jobs' own requests plus the
    empty long polls of every idle worker slot (one per SQS_LONG_POLL seconds)."""
    scale = 1000 / max(result.jobs, 1)
    hours = result.task_seconds / 3600
    fargate = hours * (result.vcpu * prices.FARGATE_VCPU_HOUR[arch] + result.memory_gb * prices.FARGATE_GB_HOUR[arch])
    per_job = prices.PER_JOB
    s3 = 1000 * (
        per_job.s3_puts * prices.S3_PUT_PER_1000 / 1000
        + per_job.s3_gets * prices.S3_GET_PER_1000 / 1000
        + bytes_per_job / 1e9 * prices.S3_GB_MONTH
    )
    idle_polls = hours * 3600 / facts.SQS_LONG_POLL.value * concurrency * scale
    sqs = (1000 * per_job.sqs_requests + idle_polls) * prices.SQS_PER_MILLION / 1e6
    dynamodb = (
        1000
        * (
            per_job.dynamodb_writes * prices.DYNAMODB_WRITE_PER_MILLION
            + per_job.dynamodb_reads * prices.DYNAMODB_READ_PER_MILLION
        )
        / 1e6
    )
    sns = 1000 * per_job.sns_publishes * prices.SNS_PUBLISH_PER_MILLION / 1e6
    rekognition = 1000 * per_job.rekognition_images * prices.REKOGNITION_PER_IMAGE if analysis else 0.0
    return Cost(fargate * scale, s3, sqs, dynamodb, sns, rekognition)
