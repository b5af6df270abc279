"""Settings shared by the API, the worker and the local stack: one class, read from `IMGPIPE_*` env vars."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.recipes import Fit, OutputFormat, Rendition, recipe_problems

# Formats the worker can decode, keyed by Pillow's format name, with the MIME type clients declare for them.
FORMAT_CONTENT_TYPES: dict[str, str] = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "HEIF": "image/heic",  # iPhone photos; HEIF with the HEVC codec (pillow-heif)
    "AVIF": "image/avif",
}
# Other MIME types clients declare for an accepted format: HEIF files are announced as either.
CONTENT_TYPE_ALIASES: dict[str, str] = {"image/heif": "HEIF"}

MiB = 1024 * 1024

PRESET_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def _builtin_presets() -> dict[str, list[Rendition]]:
    """Presets beyond `default` that ship with imgpipe: examples of what recipes are for."""
    return {
        "avatar": [
            Rendition(name="avatar-256.webp", width=256, height=256, fit=Fit.COVER, format=OutputFormat.WEBP),
            Rendition(name="avatar-64.webp", width=64, height=64, fit=Fit.COVER, format=OutputFormat.WEBP),
        ],
        "hero": [
            Rendition(name="hero-2000.avif", width=2000, format=OutputFormat.AVIF),
            Rendition(name="hero-2000.jpg", width=2000, format=OutputFormat.JPEG),
        ],
    }


class Settings(BaseSettings):
    """Every knob of imgpipe. Env var = `IMGPIPE_` + the field name in upper case (lists/sets as JSON)."""

    model_config = SettingsConfigDict(env_prefix="IMGPIPE_", extra="ignore", frozen=True)

    environment: Literal["local", "aws"] = Field(
        "local", description="`local` seeds and accepts the published dev API key; `aws` refuses it."
    )
    log_level: str = Field("INFO", description="Python logging level for api and worker.")

    # --- AWS access -------------------------------------------------------------------------------------
    aws_region: str = Field("us-east-1", description="Region of every AWS resource.")
    aws_endpoint_url: str | None = Field(
        None, description="Endpoint for all AWS calls (moto or LocalStack); unset means real AWS."
    )
    s3_public_endpoint_url: str | None = Field(
        None,
        description="Endpoint written into presigned URLs when clients reach S3 at another address than the "
        "services do (e.g. compose: services use `localstack:4566`, browsers `127.0.0.1:4566`).",
    )
    aws_max_attempts: int = Field(5, ge=1, description="botocore `standard` retry mode: total attempts per call.")
    fault_injection_rate: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Chaos testing: share of AWS requests that fail with a connection error before being sent "
        "(botocore retries them like real ones). Local only.",
    )

    # --- resource names (the local stack creates them from these same values) ----------------------------
    uploads_bucket: str = Field("imgpipe-uploads", description="Bucket clients upload into.")
    outputs_bucket: str = Field("imgpipe-outputs", description="Bucket the worker writes results into.")
    jobs_table: str = Field("imgpipe-jobs", description="DynamoDB table of jobs (hash key `job_id`).")
    api_keys_table: str = Field(
        "imgpipe-api-keys", description="DynamoDB table of API keys (hash key `key_id`), managed with `imgpipe keys`."
    )
    rate_limits_table: str = Field(
        "imgpipe-rate-limits",
        description="DynamoDB table of per-key request counts, one item per key and minute (hash key `window_id`, "
        "TTL `expires_at`).",
    )
    queue_name: str = Field("imgpipe-uploads", description="SQS queue the EventBridge rule targets.")
    dlq_name: str = Field("imgpipe-uploads-dlq", description="Dead-letter queue of `queue_name`.")
    topic_name: str = Field("imgpipe-job-events", description="SNS topic that receives every job outcome.")
    event_rule_name: str = Field("imgpipe-upload-created", description="EventBridge rule: uploads -> queue.")
    callbacks_queue_name: str = Field(
        "imgpipe-callbacks", description="SQS queue subscribed to `topic_name`: the webhooks still to deliver."
    )
    callbacks_dlq_name: str = Field("imgpipe-callbacks-dlq", description="Dead-letter queue of `callbacks_queue_name`.")

    # --- API ---------------------------------------------------------------------------------------------
    api_keys_cache_seconds: int = Field(
        60,
        ge=0,
        le=3600,
        description="How long an API task keeps a key it read from `api_keys_table`: a revocation is honoured "
        "within this time.",
    )
    default_rate_per_minute: int = Field(
        600, ge=1, description="Requests per minute of a key created without `--rate`."
    )
    rate_limits_enabled: bool = Field(
        True,
        description="Limit each key to its `rate_per_minute`, counted across all API tasks in `rate_limits_table`; "
        "`false` leaves only the WAF's per-IP rule.",
    )
    api_deadline_seconds: float = Field(
        8,
        gt=0,
        le=60,
        description="Every API request answers within about this long: AWS calls that cannot finish in time are not "
        "started and the request gets `503 dependency_unavailable`.",
    )
    api_aws_connect_timeout_seconds: float = Field(
        1, gt=0, le=30, description="API only: connect timeout of each AWS call attempt (the worker keeps 5 s)."
    )
    api_aws_read_timeout_seconds: float = Field(
        2, gt=0, le=60, description="API only: read timeout of each AWS call attempt (the worker keeps 30 s)."
    )
    api_aws_max_attempts: int = Field(
        2, ge=1, le=10, description="API only: botocore attempts per AWS call (the worker uses `aws_max_attempts`)."
    )
    api_max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body the API reads; larger ones get `413 body_too_large`."
    )
    readyz_cache_seconds: float = Field(
        2, ge=0, le=60, description="`/readyz` reuses its last answer this long; concurrent probes share one check."
    )
    max_upload_bytes: int = Field(20 * MiB, ge=1, description="Largest upload accepted, in bytes.")
    upload_url_ttl_seconds: int = Field(
        900, ge=60, le=7 * 24 * 3600, description="How long a presigned upload stays valid."
    )
    download_url_ttl_seconds: int = Field(
        3600, ge=60, le=7 * 24 * 3600, description="How long presigned result links stay valid."
    )
    job_retention_days: int = Field(30, ge=1, description="Jobs are removed by DynamoDB TTL after this.")

    # --- worker ------------------------------------------------------------------------------------------
    accepted_formats: list[str] = Field(
        default_factory=lambda: ["PNG", "JPEG", "HEIF", "AVIF", "WEBP", "TIFF"],
        description="Image formats accepted, identified from the bytes. Any of "
        f"{sorted(FORMAT_CONTENT_TYPES)}. Multi-frame files (animations, pages) are processed from their first frame.",
    )
    max_image_pixels: int = Field(
        100_000_000, ge=1, description="Decompression-bomb guard: largest width x height decoded."
    )
    thumbnail_sizes: list[int] = Field(
        default_factory=lambda: [1024, 512, 128], description="Longest side of each JPEG thumbnail, in px."
    )
    thumbnail_quality: int = Field(85, ge=1, le=100, description="JPEG quality of thumbnails.")
    processed_max_side: int = Field(
        1024, ge=16, description="Longest side of the processed (EXIF-upright, metadata-free) WebP output."
    )
    processed_quality: int = Field(80, ge=1, le=100, description="WebP quality of the processed output.")
    presets: dict[str, list[Rendition]] = Field(
        default_factory=_builtin_presets,
        description="Named recipes a job can ask for with `preset` (README, Recipes): name -> list of outputs. "
        "`default` is built from the four settings above unless this defines it.",
    )
    max_outputs_per_job: int = Field(10, ge=1, le=100, description="Most outputs one job's recipe may ask for.")
    max_output_pixels_per_job: int = Field(
        50_000_000,
        ge=1,
        description="Most pixels (sum of width x height) one job's recipe may ask for: bounds its CPU and memory.",
    )
    worker_concurrency: int = Field(
        4,
        ge=1,
        le=64,
        description="Jobs one worker process decodes and renders at once (its CPU and memory bound), more than its "
        "vCPUs so that jobs use the CPU while others wait on AWS. A job is claimed and its upload read before it "
        "takes a slot; the worker holds up to twice as many messages before or in their image work (so up to as many "
        "uploads wait in memory for a slot), and up to three times as many in all (with the jobs storing their "
        "outcome).",
    )
    queue_wait_seconds: int = Field(20, ge=0, le=20, description="SQS long-poll wait per receive.")
    visibility_timeout_seconds: int = Field(
        120, ge=10, le=43200, description="SQS visibility timeout: how long a received message stays hidden."
    )
    max_receive_count: int = Field(5, ge=1, description="Deliveries before a message goes to the DLQ.")
    retry_base_seconds: int = Field(
        5, ge=1, description="First delay before a transient failure is retried; doubles per receive (with jitter)."
    )
    sweep_interval_seconds: int = Field(
        30,
        ge=1,
        description="How often each worker looks for stranded jobs (`processing` with a lease nobody renewed) in the "
        "table's index of live leases.",
    )
    sweep_grace_seconds: int = Field(
        30,
        ge=0,
        description="How long beyond `visibility_timeout_seconds` (the longest retry delay) a lease must have run out "
        "before the sweeper fails its job with `processing_retries_exhausted`; raise it if queue backlogs delay "
        "redeliveries longer.",
    )
    drain_seconds: int = Field(
        90, ge=1, description="On SIGTERM, how long in-flight jobs may take (keep below ECS stopTimeout)."
    )
    heartbeat_file: str | None = Field(
        None,
        description="File the worker touches on every poll: a liveness signal for container health checks.",
    )

    # --- webhooks (worker/callbacks.py) ------------------------------------------------------------------
    webhook_retry_schedule_seconds: list[int] = Field(
        default_factory=lambda: [10, 60, 300, 1800, 7200, 21600],
        description="Wait before each retry of a webhook that failed; after the last one it is given up (`gave_up`). "
        "Each at most 43200 (SQS's longest visibility timeout).",
    )
    webhook_connect_timeout_seconds: float = Field(3, gt=0, le=30, description="Connect timeout of a delivery.")
    webhook_timeout_seconds: float = Field(
        10, gt=0, le=60, description="Timeout of each read and write of a delivery (only the status line is read)."
    )
    webhook_allow_private_hosts: bool = Field(
        True,
        description="Let webhooks go to loopback and private addresses (a receiver on the laptop) and over plain "
        "http. Unset: true when `environment` is `local`, false when it is `aws`, where true is refused.",
    )
    webhook_concurrency: int = Field(4, ge=1, le=64, description="Webhooks one worker process delivers at once.")
    webhook_max_recorded_attempts: int = Field(
        20, ge=1, le=100, description="Most delivery attempts kept in a job's `callbacks` (the oldest go first)."
    )

    # --- analysis (text and labels) ----------------------------------------------------------------------
    analysis_engine: Literal["rekognition", "local", "off"] = Field(
        "local",
        description="Text and label analysis: `rekognition` (AWS), `local` (offline OCR, needs the `ocr` extra) or "
        "`off`. Unset: `local` when `environment` is `local`, `rekognition` when it is `aws`.",
    )
    analysis_min_confidence: float = Field(
        55, ge=0, le=100, description="Labels below this confidence (0-100) are dropped (DetectLabels MinConfidence)."
    )
    analysis_max_labels: int = Field(20, ge=1, le=1000, description="Most labels kept (DetectLabels MaxLabels).")
    analysis_word_min_confidence: float = Field(
        50, ge=0, le=100, description="Words below this confidence (0-100) are dropped (DetectText WordFilter)."
    )
    analysis_max_dominant_colors: int = Field(
        5, ge=1, le=20, description="Dominant colours reported per image (and per foreground/background)."
    )
    rekognition_max_concurrency: int = Field(
        4, ge=1, le=64, description="Rekognition calls one worker process has in flight at once, across its jobs."
    )
    ocr_det_model: Literal["tiny", "small"] = Field(
        "small",
        description="Local OCR: PP-OCRv6 text detection model. `small` finds a little more photographed text; `tiny` "
        "costs less CPU per photo (figures: bench/README.md, Text analysis).",
    )
    ocr_rec_model: Literal["tiny", "small"] = Field(
        "small",
        description="Local OCR: PP-OCRv6 text recognition model. `small` reads photographed text far better; `tiny` "
        "takes about half its CPU, for clean rendered text (figures: bench/README.md, Text analysis).",
    )
    ocr_scripts: Literal["latin", "all"] = Field(
        "latin",
        description="Local OCR: the scripts text is read in. `latin`: Latin letters, digits, punctuation and currency "
        "signs only (other characters are masked in the recogniser's decoding); `all`: whatever the model knows.",
    )
    ocr_max_side: int = Field(
        1280, ge=320, le=4096, description="Local OCR: text detection runs on the image scaled to this longest side."
    )
    ocr_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="Local OCR: onnxruntime threads per call (calls are serialised per process). 1: more were no "
        "faster on a 2-core worker, for more CPU (figures: bench/README.md, Text analysis).",
    )
    ocr_cache_dir: str | None = Field(
        None,
        description="Local OCR: writable directory for onnxruntime's cache files (unset: `<tmp>/imgpipe-ocr`), "
        "so a read-only HOME works.",
    )

    @field_validator("accepted_formats")
    @classmethod
    def _known_formats(cls, value: list[str]) -> list[str]:
        formats = [v.upper() for v in value]
        unknown = sorted(set(formats) - FORMAT_CONTENT_TYPES.keys())
        if unknown:
            raise ValueError(f"unknown formats {unknown}; choose from {sorted(FORMAT_CONTENT_TYPES)}")
        return formats

    @field_validator("thumbnail_sizes")
    @classmethod
    def _sizes(cls, value: list[int]) -> list[int]:
        if not value or any(v < 8 for v in value):
            raise ValueError("thumbnail_sizes needs at least one size, each >= 8 px")
        return sorted(set(value), reverse=True)

    @field_validator("webhook_retry_schedule_seconds")
    @classmethod
    def _schedule(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= v <= 43200 for v in value):
            raise ValueError("webhook_retry_schedule_seconds needs at least one wait, each 1-43200 s")
        return value

    @model_validator(mode="after")
    def _presets_are_recipes(self) -> Settings:
        for name, renditions in self.recipes.items():
            if not re.fullmatch(PRESET_NAME_PATTERN, name):
                raise ValueError(f"preset name {name!r} does not match {PRESET_NAME_PATTERN}")
            problems = recipe_problems(
                renditions, max_outputs=self.max_outputs_per_job, max_pixels=self.max_output_pixels_per_job
            )
            if problems:
                raise ValueError(f"preset {name!r}: {'; '.join(problems)}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _engine_follows_environment(cls, data: Any) -> Any:
        # The offline engine is for machines without Rekognition; a deployment gets Rekognition unless it chose.
        if isinstance(data, dict) and data.get("analysis_engine") is None and data.get("environment") == "aws":
            return {**data, "analysis_engine": "rekognition"}
        return data

    @model_validator(mode="before")
    @classmethod
    def _private_hooks_follow_environment(cls, data: Any) -> Any:
        # Private receivers are for a laptop's stack; a deployment refuses them unless told (and then refuses that).
        if (
            isinstance(data, dict)
            and data.get("webhook_allow_private_hosts") is None
            and data.get("environment") == "aws"
        ):
            return {**data, "webhook_allow_private_hosts": False}
        return data

    @model_validator(mode="after")
    def _no_private_hooks_in_aws(self) -> Settings:
        if self.environment == "aws" and self.webhook_allow_private_hosts:
            raise ValueError("webhook_allow_private_hosts is for local stacks only: in AWS it would allow SSRF")
        return self

    @model_validator(mode="after")
    def _deadline_fits_an_attempt(self) -> Settings:
        # A deadline shorter than one attempt's worst case would refuse every AWS call (core/deadline.py).
        attempt = self.api_aws_connect_timeout_seconds + self.api_aws_read_timeout_seconds
        if self.api_deadline_seconds <= attempt:
            raise ValueError(f"api_deadline_seconds must exceed one attempt's connect + read timeouts ({attempt} s)")
        return self

    @model_validator(mode="after")
    def _no_chaos_outside_local(self) -> Settings:
        if self.environment != "local" and self.fault_injection_rate:
            raise ValueError("fault_injection_rate is for local chaos testing only")
        return self

    @property
    def accepted_content_types(self) -> dict[str, str]:
        """MIME type -> Pillow format for every accepted format (aliases included)."""
        types = {FORMAT_CONTENT_TYPES[f]: f for f in self.accepted_formats}
        return types | {t: f for t, f in CONTENT_TYPE_ALIASES.items() if f in self.accepted_formats}

    @property
    def recipes(self) -> dict[str, list[Rendition]]:
        """Every preset by name, `default` first: today's outputs (JPEG thumbnails, the processed WebP), built from
        `thumbnail_sizes`, `thumbnail_quality`, `processed_max_side` and `processed_quality` unless `presets`
        defines it."""
        thumbnails = [
            Rendition(
                name=f"thumb-{size}.jpg",
                width=size,
                height=size,
                format=OutputFormat.JPEG,
                quality=self.thumbnail_quality,
            )
            for size in self.thumbnail_sizes
        ]
        processed = Rendition(
            name="processed.webp",
            width=self.processed_max_side,
            height=self.processed_max_side,
            format=OutputFormat.WEBP,
            quality=self.processed_quality,
        )
        return {"default": [*thumbnails, processed], **self.presets}

    def to_env(self) -> dict[str, str]:
        """The env vars that reproduce these settings in another process (used to start api and worker)."""
        env: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if value is None:
                continue
            env[f"IMGPIPE_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        return env


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once; routes get their app's instead (api/deps.py)."""
    return Settings()
