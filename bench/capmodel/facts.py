"""AWS behaviour the model assumes, each with its source; ASSUMED marks figures AWS does not document."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    value: float
    what: str
    source: str


AAS_GUIDE = "Application Auto Scaling User Guide"
# SQS pushes its queue metrics to CloudWatch once a minute; Container Insights' RunningTaskCount is per minute too.
METRIC_PERIOD = Fact(60, "CloudWatch metric period, s", "Amazon SQS Developer Guide, 'CloudWatch metrics for SQS'")
SCALE_OUT_DATAPOINTS = Fact(
    3, "target tracking's high alarm: datapoints above target", f"{AAS_GUIDE}: the alarms it creates (AlarmHigh 3 of 3)"
)
SCALE_IN_DATAPOINTS = Fact(
    15, "target tracking's low alarm: datapoints below", f"{AAS_GUIDE}: the alarms it creates (AlarmLow 15 of 15)"
)
SCALE_IN_MARGIN = Fact(
    0.9,
    "scale in only below this fraction of the target",
    f"{AAS_GUIDE}, 'How target tracking works': removes capacity when the metric is 'typically more than 10%' below",
)
FARGATE_START_MEDIAN = Fact(
    50, "Fargate task start (launch to RUNNING), median s", "ASSUMED: not published by AWS; commonly 30-90 s"
)
FARGATE_START_SIGMA = Fact(0.35, "its log-normal spread (p95 ~ 1.8x median)", "ASSUMED: image size and ENI vary it")
SQS_LONG_POLL = Fact(
    20,
    "SQS long poll, s: returns as soon as a message is visible",
    "Amazon SQS Developer Guide, 'Short and long polling' (so a free worker slot takes a message at once)",
)
EVENT_DELAY = Fact(1.0, "S3 -> EventBridge -> SQS delivery, s", "ASSUMED: not published (seconds; typically < 1 s)")
# A job waits on AWS before its slot (claim, fetch) and after giving it back (worker/consumer.py: outputs stored,
# outcome recorded and published, message deleted): both add to its latency, neither to the slot's time.
IO_SECONDS = Fact(
    0.12, "DynamoDB claim + S3 get per job, before the slot, wall s", "ASSUMED: in-region latencies, not CPU"
)
TAIL_SECONDS = Fact(
    0.13,
    "4 S3 puts (at once) + DynamoDB writes + SNS + SQS delete per job, after the slot, wall s",
    "ASSUMED: in-region latencies, not CPU",
)
ANALYSIS_SECONDS = Fact(
    1.0, "Rekognition DetectText + DetectLabels per job (analysis on), wall s", "ASSUMED: not published"
)
ALL = (
    METRIC_PERIOD,
    SCALE_OUT_DATAPOINTS,
    SCALE_IN_DATAPOINTS,
    SCALE_IN_MARGIN,
    FARGATE_START_MEDIAN,
    FARGATE_START_SIGMA,
    SQS_LONG_POLL,
    EVENT_DELAY,
    IO_SECONDS,
    TAIL_SECONDS,
    ANALYSIS_SECONDS,
)
