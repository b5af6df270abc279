"""Helpers for tests: generated images, uploads through the presigned POST, waiting on jobs, local stacks and the
worker processes and faults tests start on them."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from PIL import Image, ImageDraw, ImageFilter

from cli.processes import Service, wait_until
from cli.stack import start_local_stack
from core.api_keys import DEV_KEY_ID, LOCAL_DEV_API_KEY
from core.config import Settings
from core.jobs import Job, JobResult, new_job
from core.keys import upload_key

if TYPE_CHECKING:
    from cli.stack import LocalStack
    from core.aws import AwsClients
    from core.store import JobStore

TERMINAL = {"completed", "failed", "expired"}
FAULTS_DIR = Path(__file__).parent / "faults"  # its sitecustomize.py: the rules are in its docstring

# A rate no test session reaches (see running_stack).
UNLIMITED_RATE = 1_000_000

# The short-visibility stack (tests/e2e/conftest.py): redeliveries and an exhausted budget happen within a test.
VISIBILITY = 10
MAX_RECEIVES = 3


def photo(width: int, height: int, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Photo-like content (gradients, shapes, noise), not flat colour, so encoders and resizers do real work."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(2, min(width, height) // 8)) + 1
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    image = Image.blend(base, noise, 0.15).filter(ImageFilter.SMOOTH)
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(width: int = 640, height: int = 480, *, orientation: int | None = None, **options: Any) -> bytes:
    image = photo(width, height)
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    return encode(image, "JPEG", quality=90, **options)


def png(width: int = 640, height: int = 480, mode: str = "RGB") -> bytes:
    return encode(photo(width, height, mode), "PNG")


def cut_jpeg(data: bytes, share: float = 0.1) -> bytes:
    """A JPEG cut to `share` of its bytes with its end marker (EOI) re-appended: libjpeg only warns about it."""
    return data[: int(len(data) * share)] + b"\xff\xd9"


def jpeg_claiming(data: bytes, width: int, height: int) -> bytes:
    """`data` with its frame header (SOF0-2) edited to claim width x height; the scan data is unchanged."""
    out, i = bytearray(data), 2
    while out[i] == 0xFF:
        marker, length = out[i + 1], int.from_bytes(out[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            out[i + 5 : i + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
            return bytes(out)
        i += 2 + length
    raise ValueError("no SOF0-2 frame header found")


def api_client(stack: LocalStack, timeout: float = 30) -> httpx.Client:
    """An HTTP client for the stack's API, authorised with its first API key."""
    assert stack.api is not None and stack.api.url is not None
    key = LOCAL_DEV_API_KEY
    return httpx.Client(base_url=stack.api.url, headers={"X-API-Key": key}, timeout=timeout)


def create_job(api: httpx.Client, *, filename: str, content_type: str, size: int) -> dict[str, Any]:
    response = api.post("/v1/jobs", json={"filename": filename, "content_type": content_type, "size_bytes": size})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def post_upload(upload: dict[str, Any], data: bytes, content_type: str) -> httpx.Response:
    return httpx.post(upload["url"], data=upload["fields"], files={"file": ("f", data, content_type)}, timeout=30)


def submit(api: httpx.Client, data: bytes, content_type: str, filename: str = "image") -> str:
    """Create a job and upload `data` with its presigned POST, as a client would. Returns the job id."""
    created = create_job(api, filename=filename, content_type=content_type, size=max(1, len(data)))
    response = post_upload(created["upload"], data, content_type)
    assert response.status_code in (200, 201, 204), response.text
    return created["job_id"]  # type: ignore[no-any-return]


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the API until the job reaches a terminal status."""
    seen: dict[str, Any] = {}

    def done() -> bool:
        seen.update(api.get(f"/v1/jobs/{job_id}").json())
        return seen.get("status") in TERMINAL

    wait_until(done, timeout=timeout, what=f"job {job_id} to end (last seen: {seen.get('status')})")
    return seen


class SnsInbox:
    """An SQS queue subscribed to the outcome topic: what a downstream subscriber would receive."""

    def __init__(self, sqs: Any, sns: Any, topic_arn: str) -> None:
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=f"test-inbox-{random.randrange(10**9)}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        self.received: list[dict[str, Any]] = []

    def _drain(self) -> None:
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            if not messages:
                return
            for message in messages:
                envelope = json.loads(message["Body"])
                self.received.append(
                    {
                        # Distinct per publish; an SNS redelivery of the same publish repeats it.
                        "message_id": envelope["MessageId"],
                        "body": json.loads(envelope["Message"]),
                        "attributes": {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()},
                    }
                )
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def for_job(self, job_id: str, *, at_least: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
        """The job's messages, once at least `at_least` have arrived (the outcome is published after it is stored)."""

        def arrived() -> list[dict[str, Any]]:
            self._drain()
            return [m for m in self.received if m["body"]["job_id"] == job_id]

        wait_until(lambda: len(arrived()) >= at_least, timeout=timeout, what=f"{at_least} SNS message(s) for {job_id}")
        return arrived()


def queue_settled(sqs: Any, queue_url: str) -> bool:
    """No message waiting or in flight."""
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def queue_every_event_twice(sqs: Any, queue_url: str, expected: int) -> None:
    """Replace each of the `expected` queued events by two copies of it, all queued before any worker runs
    (faults.md); fresh copies, so no receive is spent before the workers see them."""
    bodies: list[str] = []

    def drained() -> bool:
        while len(bodies) < expected:
            batch = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0
            )
            messages = batch.get("Messages", [])
            if not messages:
                return False
            bodies.extend(m["Body"] for m in messages)
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        return True

    wait_until(drained, timeout=30 + expected / 10, what=f"{expected} upload events")
    copies = [body for body in bodies for _ in range(2)]
    for i in range(0, len(copies), 10):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(copies[i : i + 10])]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


def jobs_queue_settled(clients: AwsClients, stack: LocalStack) -> bool:
    """The stack's jobs queue has no message waiting or in flight."""
    return queue_settled(clients.sqs, stack.provisioned.queue_url)


def wait_settled(sqs: Any, queue_url: str, timeout: float = 30) -> None:
    wait_until(lambda: queue_settled(sqs, queue_url), timeout=timeout, what="the jobs queue to empty")


class FakeEcsAgent:
    """A local stand-in for the ECS agent's task-protection endpoint, recording every state the worker sets."""

    def __init__(self, *, fail: bool = False) -> None:
        import http.server
        import threading

        states: list[dict[str, Any]] = []
        self.states = states

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/api/task-id/task-protection/v1/state" or fail:
                    self.send_response(400)
                    payload = {"error": {"Code": "InvalidParameterException", "Message": "nope"}}
                else:
                    states.append(body)
                    self.send_response(200)
                    payload = {"protection": {"ProtectionEnabled": body["ProtectionEnabled"], "TaskArn": "arn:x"}}
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(payload).encode())

            def log_message(self, *_: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self._server.server_port}/api/task-id"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def running_stack(settings: Settings, *, workers: int = 1) -> Iterator[LocalStack]:
    """A local stack for a fixture (`yield from running_stack(...)`), stopped when the fixture ends.

    All tests of a session share the dev key: its rate is raised unless the settings chose one, so that no test
    meets the per-key limit by the speed of the tests before it (tests/api/test_rate_limits.py makes keys of its
    own with small rates)."""
    if "default_rate_per_minute" not in settings.model_fields_set:
        settings = settings.model_copy(update={"default_rate_per_minute": UNLIMITED_RATE})
    stack = start_local_stack(settings, workers=workers)
    try:
        yield stack
    finally:
        stack.stop()


def short_visibility_settings(**overrides: Any) -> Settings:
    """Settings with a short visibility timeout and retry budget; analysis off (delivery semantics, not OCR)."""
    return Settings(
        visibility_timeout_seconds=VISIBILITY,
        max_receive_count=MAX_RECEIVES,
        retry_base_seconds=1,
        analysis_engine="off",
        **overrides,
    )


def fault_env(*rules: dict[str, Any]) -> dict[str, str]:
    """Environment for a process whose AWS calls break by `rules` (tests/faults/sitecustomize.py); {} for none."""
    if not rules:
        return {}
    paths = [str(FAULTS_DIR), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p), "IMGPIPE_TEST_FAULTS": json.dumps(rules)}


class StartWorker(Protocol):
    """start_worker(*faults, extra_env=..., log_path=..., **settings): a worker process on the test's stack."""

    def __call__(
        self, *faults: dict[str, Any], extra_env: dict[str, str] | None = None, **overrides: object
    ) -> Service: ...


# A minimal job result, for store-level tests that complete a job.
RESULT = JobResult.model_validate(
    {
        "metadata": {
            "format": "PNG",
            "mode": "RGB",
            "width": 2,
            "height": 1,
            "bytes": 10,
            "upright_width": 2,
            "upright_height": 1,
        },
        "outputs": [],
    }
)


def pending_job(
    store: JobStore,
    *,
    filename: str = "a.png",
    content_type: str = "image/png",
    created: datetime | None = None,
    key_prefix: str | None = None,
) -> Job:
    """A job stored as the API creates it (`upload_pending`, no upload yet), `created` now unless given.
    `key_prefix`: its upload key under another prefix, where an upload raises no event (no worker takes it)."""
    job_id = str(uuid.uuid4())
    job = new_job(
        job_id=job_id,
        owner=DEV_KEY_ID,
        filename=filename,
        content_type=content_type,
        declared_size=10,
        upload_key=f"{key_prefix}{job_id}" if key_prefix else upload_key(job_id),
        upload_window=timedelta(minutes=15),
        retention=timedelta(days=30),
        now=created or datetime.now(UTC),
    )
    store.create(job)
    return job


def job_item(clients: AwsClients, stack: LocalStack, job_id: str) -> dict[str, Any]:
    """The job's DynamoDB item (read consistently), attribute values unwrapped."""
    item = clients.dynamodb.get_item(
        TableName=stack.settings.jobs_table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
    )["Item"]
    return {k: next(iter(v.values())) for k, v in item.items()}


def job_outputs(clients: AwsClients, stack: LocalStack, job_id: str) -> list[str]:
    listed = clients.s3.list_objects_v2(Bucket=stack.settings.outputs_bucket, Prefix=f"processed/{job_id}/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def dlq_depth(clients: AwsClients, stack: LocalStack) -> int:
    attrs = clients.sqs.get_queue_attributes(
        QueueUrl=stack.provisioned.dlq_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def run_module(
    module: str, *args: str, env: Mapping[str, str], timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m module args` as a process of its own, output captured as text; its exit code is the caller's to
    check."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_imgpipe(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    """The `imgpipe` command against the stack, as an operator runs it."""
    return run_module("cli.main", *args, env={**os.environ, **stack.env})
