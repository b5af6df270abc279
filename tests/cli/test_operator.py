"""Operator commands (`imgpipe dlq`, `imgpipe keys`) find the local stack on their own, say which stack they use,
and fail with a sentence and exit 3, never a traceback; `dlq list` leaves what it shows as it was."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from cli.operator import STATE_FILE, write_state
from cli.processes import free_port
from cli.stack import LocalStack
from core.aws import AwsClients
from core.config import Settings
from tests.support import dlq_depth, newcomer_env, run_module


def _imgpipe(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_module("cli.main", *args, env=newcomer_env(tmp_path) | env, cwd=tmp_path, timeout=120)


def test_operator_commands_find_the_running_local_stack(stack: LocalStack, clients: AwsClients, tmp_path: Path) -> None:
    assert stack.api is not None
    write_state(stack.settings, api_url=stack.api.url, path=tmp_path / STATE_FILE)  # as `imgpipe dev` does
    listed = _imgpipe(tmp_path, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"message(s) in {stack.settings.dlq_name}" in listed.stdout
    assert f"using the local stack (emulator {stack.moto.url}" in listed.stderr
    before = dlq_depth(clients, stack)
    dry = _imgpipe(tmp_path, "dlq", "redrive", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would move {before} message(s)" in dry.stdout
    assert dlq_depth(clients, stack) == before
    keys = _imgpipe(tmp_path, "keys", "list", "--local", "--json")
    assert keys.returncode == 0, keys.stderr
    assert "local-dev" in {k["key_id"] for k in json.loads(keys.stdout)}


def test_no_stack_at_all_is_a_sentence_and_exit_3(tmp_path: Path) -> None:
    for args in (["dlq", "list"], ["dlq", "redrive"], ["keys", "list"], ["dlq", "list", "--local"]):
        result = _imgpipe(tmp_path, *args)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr
        assert "no local stack is running here" in result.stderr and "make dev" in result.stderr


def test_an_unreachable_emulator_is_a_sentence_and_exit_3(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    write_state(Settings(aws_endpoint_url=nowhere, aws_max_attempts=1), api_url=None, path=tmp_path / STATE_FILE)
    recorded = _imgpipe(tmp_path, "dlq", "list", "--local")
    by_env = _imgpipe(tmp_path, "keys", "list", IMGPIPE_AWS_ENDPOINT_URL=nowhere, IMGPIPE_AWS_MAX_ATTEMPTS="1")
    for result in (recorded, by_env):
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr
        assert "cannot reach the" in result.stderr and nowhere in result.stderr


def test_a_stale_state_file_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    write_state(Settings(aws_endpoint_url=f"http://127.0.0.1:{free_port()}"), api_url=None, path=path)
    state = json.loads(path.read_text())
    path.write_text(json.dumps(state | {"pid": 2**22 + 1}))  # above pid_max: no such process
    result = _imgpipe(tmp_path, "dlq", "list", "--local")
    assert result.returncode == 3
    assert "has stopped" in result.stderr and "Traceback" not in result.stderr


# ---- the DLQ itself, on queues of its own ----------------------------------------------------------------------

READABLE = json.dumps(
    {"Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/a"}}}]}
)


@pytest.fixture
def queues(clients: AwsClients) -> tuple[str, str]:
    suffix = random.randrange(10**9)
    dlq_url = clients.sqs.create_queue(QueueName=f"test-dlq-{suffix}")["QueueUrl"]
    queue_url = clients.sqs.create_queue(QueueName=f"test-jobs-{suffix}")["QueueUrl"]
    clients.sqs.send_message(QueueUrl=dlq_url, MessageBody=READABLE)
    clients.sqs.send_message(QueueUrl=dlq_url, MessageBody="not an event")
    return dlq_url, queue_url


def _on(stack: LocalStack, queues: tuple[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`imgpipe ARGS` against the stack's emulator, with these queues as its DLQ and jobs queue."""
    names = {"IMGPIPE_DLQ_NAME": queues[0].rsplit("/", 1)[1], "IMGPIPE_QUEUE_NAME": queues[1].rsplit("/", 1)[1]}
    return run_module("cli.main", *args, env={**os.environ, **stack.env, **names}, timeout=120)


def _depth(clients: AwsClients, url: str) -> int:
    attrs = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


def test_listing_twice_shows_the_same(stack: LocalStack, clients: AwsClients, queues: tuple[str, str]) -> None:
    # SQS has no peek: a listing receives, and would change a receive count it showed.
    first, again = (_on(stack, queues, "dlq", "list", "--json") for _ in range(2))
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)) == 2
    assert first.stdout == again.stdout
    assert _depth(clients, queues[0]) == 2  # all visible again


def test_redrive_moves_readable_messages_and_leaves_unreadable_ones(
    stack: LocalStack, clients: AwsClients, queues: tuple[str, str]
) -> None:
    dlq_url, queue_url = queues
    dry = _on(stack, queues, "dlq", "redrive", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would move 1 message(s)" in dry.stdout and "would leave 1 unreadable message(s)" in dry.stdout
    assert (_depth(clients, dlq_url), _depth(clients, queue_url)) == (2, 0)

    done = _on(stack, queues, "dlq", "redrive")
    assert done.returncode == 0, done.stderr
    assert "moved 1 message(s)" in done.stdout and "left 1 unreadable message(s)" in done.stdout
    [message] = clients.sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert message["Body"] == READABLE
    assert _depth(clients, dlq_url) == 1  # the unreadable one, visible at once
