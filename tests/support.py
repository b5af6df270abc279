"""Helpers for tests only: damaged JPEGs, stored jobs and their items, local stacks and the worker processes and
faults tests start on them. What the benchmarks use too (images, jobs through the API, queues) is in harness/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cli.processes import Service
from core.api_keys import DEV_KEY_ID
from core.config import Settings
from core.jobs import Job, JobResult, new_job
from core.keys import upload_key
from core.recipes import Rendition
from harness.queues import queue_settled

if TYPE_CHECKING:
    from cli.stack import LocalStack
    from core.aws import AwsClients
    from core.store import JobStore

FAULTS_DIR = Path(__file__).parent / "faults"  # its sitecustomize.py: the rules are in its docstring

# A rate no test session reaches (tests/conftest.py gives it to the dev key of every test stack).
UNLIMITED_RATE = 1_000_000

# The short-visibility stack (tests/e2e/conftest.py): redeliveries and an exhausted budget happen within a test.
VISIBILITY = 10
MAX_RECEIVES = 3


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


def jobs_queue_settled(clients: AwsClients, stack: LocalStack) -> bool:
    """The stack's jobs queue has no message waiting or in flight."""
    return queue_settled(clients.sqs, stack.provisioned.queue_url)


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
    recipe: list[Rendition] | None = None,
    callback_url: str | None = None,
) -> Job:
    """A job stored as the API creates it (`upload_pending`, no upload yet), `created` now unless given.
    `key_prefix`: its upload key under another prefix, where an upload raises no event (no worker takes it).
    `recipe`: the outputs it asks for (None: stored without, as jobs made before recipes)."""
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
        recipe=recipe,
        callback_url=callback_url,
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


def newcomer_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a newcomer's shell: no AWS credentials or config, no IMGPIPE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IMGPIPE_"))}
    missing = str(tmp_path / "no-such-aws-file")
    return env | {"AWS_SHARED_CREDENTIALS_FILE": missing, "AWS_CONFIG_FILE": missing, "AWS_EC2_METADATA_DISABLED": "1"}
