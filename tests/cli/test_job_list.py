"""`imgpipe jobs`, `imgpipe delete` and `submit --ref` as a user runs them: real processes against the local stack,
each with an API key of its own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import png
from harness.jobs import tenant_client
from tests.support import run_module


def _token(stack: LocalStack, clients: AwsClients, name: str) -> str:
    with tenant_client(stack, clients, name) as client:
        return client.headers["X-API-Key"]


def _imgpipe(stack: LocalStack, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert stack.api is not None and stack.api.url is not None
    env = {**os.environ, "IMGPIPE_API_URL": stack.api.url, "IMGPIPE_API_KEY": key}
    return run_module("cli.main", *args, env=env, timeout=120)


def test_submit_with_a_ref_then_list_look_up_and_delete(stack: LocalStack, clients: AwsClients, tmp_path: Path) -> None:
    alice, bob = _token(stack, clients, "cli alice"), _token(stack, clients, "cli bob")
    files = [tmp_path / "front.png", tmp_path / "back.png"]
    for path in files:
        path.write_bytes(png(120, 80))
    sent = _imgpipe(stack, alice, "submit", "--wait", "--json", "--ref", "order 17", *map(str, files))
    assert sent.returncode == 0, sent.stderr
    front, back = (entry["job_id"] for entry in json.loads(sent.stdout))

    listed = _imgpipe(stack, alice, "jobs", "--ref", "order 17", "--json")
    assert listed.returncode == 0, listed.stderr
    jobs = json.loads(listed.stdout)
    assert [j["job_id"] for j in jobs] == [back, front]  # newest first
    assert {(j["client_ref"], j["status"]) for j in jobs} == {("order 17", "completed")}

    table = _imgpipe(stack, alice, "jobs", "--status", "completed")
    assert table.returncode == 0, table.stderr
    assert front in table.stdout and "front.png" in table.stdout and "order 17" in table.stdout
    assert "PNG 120x80" in table.stdout
    paged = _imgpipe(stack, alice, "jobs", "--limit", "1")
    assert back in paged.stdout and front not in paged.stdout and "raise --limit" in paged.stdout

    # Bob sees none of it and cannot delete it.
    assert json.loads(_imgpipe(stack, bob, "jobs", "--json").stdout) == []
    refused = _imgpipe(stack, bob, "delete", front)
    assert refused.returncode == 3 and "job_not_found" in refused.stderr

    deleted = _imgpipe(stack, alice, "delete", front)
    assert deleted.returncode == 0, deleted.stderr
    assert f"{front}: deleted" in deleted.stdout
    gone = _imgpipe(stack, alice, "status", front)
    assert gone.returncode == 3 and "job_not_found" in gone.stderr
    assert [j["job_id"] for j in json.loads(_imgpipe(stack, alice, "jobs", "--json").stdout)] == [back]
    again = _imgpipe(stack, alice, "delete", front)
    assert again.returncode == 3 and "job_not_found" in again.stderr


def test_a_ref_the_api_would_refuse_is_refused_before_any_upload(
    stack: LocalStack, clients: AwsClients, tmp_path: Path
) -> None:
    key = _token(stack, clients, "cli carol")
    path = tmp_path / "a.png"
    path.write_bytes(png(20, 20))
    for ref in ("tab\there", "x" * 201):
        refused = _imgpipe(stack, key, "submit", "--ref", ref, str(path))
        assert refused.returncode == 2, refused.stderr
        assert "--ref" in refused.stderr
    assert json.loads(_imgpipe(stack, key, "jobs", "--json").stdout) == []
    bad_status = _imgpipe(stack, key, "jobs", "--status", "deleted")
    assert bad_status.returncode == 2
