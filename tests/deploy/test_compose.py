"""docker-compose.yml: valid Compose Specification, pinned images, scalable workers, complete settings.

The Compose Specification JSON schema comes from the `check-jsonschema` package (test extra), which vendors
https://raw.githubusercontent.com/compose-spec/compose-spec/master/schema/compose-spec.json with a checksum and
refreshes it with each release; its version pin decides the schema version.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import pytest
from jsonschema import validators

from core.config import Settings
from tests.deploy.deploy_support import (
    IMAGE_TMP,
    final_stage,
    load_compose,
    service_dockerfile,
    service_environment,
    tmpfs_paths,
    vendored_schema,
)

APP_SERVICES = ("init", "api", "worker")
LOCALSTACK_IMAGE = "localstack/localstack:4.14.0"
# Exactly the AWS services the app uses that LocalStack's community image has (no Rekognition there).
LOCALSTACK_SERVICES = {"s3", "sqs", "sns", "dynamodb", "events", "sts"}
# Settings that must agree between the service that creates the resources (init) and those that use them.
SHARED_FIELDS = (
    "environment",
    "aws_region",
    "aws_endpoint_url",
    "uploads_bucket",
    "outputs_bucket",
    "jobs_table",
    "queue_name",
    "dlq_name",
    "topic_name",
    "event_rule_name",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def compose_schema_validator() -> Any:
    schema = vendored_schema("compose-spec")
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _effective_env(compose: dict[str, Any], name: str) -> dict[str, str]:
    """What the process sees: the image's ENV, overridden by the service's environment (as Docker does)."""
    service = compose["services"][name]
    image_env = final_stage(service_dockerfile(service)).env
    return {**image_env, **service_environment(service)}


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any], compose_schema_validator: Any) -> None:
    errors = sorted(compose_schema_validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_is_not_vacuous(compose: dict[str, Any], compose_schema_validator: Any) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["contianer_name"] = "typo"
    broken["services"]["api"]["depends_on"]["init"]["condition"] = "service_finished"
    assert len(list(compose_schema_validator.iter_errors(broken))) >= 2


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service.get("image")
        if "build" in service:
            assert image and image.endswith(":local"), f"{name}: locally built images are tagged :local"
            continue
        assert image, f"{name}: neither build nor image"
        tag = image.partition(":")[2]
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image!r} is not pinned to a version"
    # 2026.03.0 and later exit with code 55 without LOCALSTACK_AUTH_TOKEN; 4.14.0 is the last token-free release.
    assert compose["services"]["localstack"]["image"] == LOCALSTACK_IMAGE


def test_localstack_runs_only_the_services_the_app_uses(compose: dict[str, Any]) -> None:
    localstack = compose["services"]["localstack"]
    services = set(service_environment(localstack)["SERVICES"].split(","))
    assert services == LOCALSTACK_SERVICES
    assert localstack["healthcheck"]["test"], "api/worker wait for service_healthy"


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is reachable from other machines"


def test_workers_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    # A fixed container name or a published host port makes `docker compose up --scale worker=3` fail.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["build"]["args"]["WITH_OCR"] == "true"


def test_init_provisions_with_the_api_image_before_the_services_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    init, api = services["init"], services["api"]
    assert init["image"] == api["image"] and init["build"] == api["build"]
    assert init["command"] == ["provision"]
    assert final_stage(service_dockerfile(init)).exec_form("ENTRYPOINT") == ["imgpipe"]
    assert init.get("restart", "no") == "no"
    assert init["depends_on"]["localstack"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["init"]["condition"] == "service_completed_successfully", name
        assert depends["localstack"]["condition"] == "service_healthy", name


def test_app_containers_run_read_only_with_a_tmpfs(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service.get("read_only") is True, name
        assert IMAGE_TMP in tmpfs_paths(service), f"{name}: the image writes only to {IMAGE_TMP}"
        assert "ALL" in service.get("cap_drop", []), name


@pytest.mark.parametrize("name", ["api", "worker"])
def test_app_health_checks_are_the_images_probe(compose: dict[str, Any], name: str) -> None:
    """compose runs the images' own `imgpipe healthcheck` (the probe ECS runs too), never a copy of its own."""
    service = compose["services"][name]
    health = final_stage(service_dockerfile(service)).healthcheck
    assert health is not None and health.command[:3] == ["imgpipe", "healthcheck", name]
    override = service.get("healthcheck")
    assert override is None or override["test"][1:4] == ["imgpipe", "healthcheck", name], override


def test_worker_stop_grace_covers_the_drain(compose: dict[str, Any]) -> None:
    grace = compose["services"]["worker"]["stop_grace_period"]
    seconds = int(grace.rstrip("s"))
    env = _effective_env(compose, "worker")
    drain = int(env.get("IMGPIPE_DRAIN_SECONDS", Settings().drain_seconds))
    long_poll = int(env.get("IMGPIPE_QUEUE_WAIT_SECONDS", Settings().queue_wait_seconds))
    # As the ECS stopTimeout (terraform/modules/service): SIGTERM can arrive at the start of a long poll, which the
    # worker finishes first, then the drain, then 10 s to return unstarted messages and exit.
    assert seconds >= long_poll + drain + 10, "compose would SIGKILL workers that are still draining"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_names_real_settings(compose: dict[str, Any], name: str) -> None:
    fields = {f"IMGPIPE_{field.upper()}" for field in Settings.model_fields}
    env = _effective_env(compose, name)
    unknown = sorted(k for k in env if k.startswith("IMGPIPE_") and k not in fields)
    assert not unknown, f"{name}: not settings (typos?): {unknown}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_settings_without_a_safe_default_for_compose_are_set(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _effective_env(compose, name)
    # Required fields (none today) and the defaults that are wrong inside compose.
    required = {f"IMGPIPE_{f.upper()}" for f, info in Settings.model_fields.items() if info.is_required()}
    required |= {
        "IMGPIPE_ENVIRONMENT",  # the dev API key is only accepted in `local`
        "IMGPIPE_AWS_ENDPOINT_URL",  # unset means real AWS
        "IMGPIPE_AWS_REGION",
        "AWS_ACCESS_KEY_ID",  # boto3 refuses to sign without credentials
        "AWS_SECRET_ACCESS_KEY",
    }
    if name == "api":
        required.add("IMGPIPE_S3_PUBLIC_ENDPOINT_URL")  # presigned URLs must work from the host
    if name == "worker":
        required |= {"IMGPIPE_ANALYSIS_ENGINE", "IMGPIPE_HEARTBEAT_FILE"}
    missing = sorted(required - env.keys())
    assert not missing, f"{name}: {missing} not set"

    # And the values are accepted by Settings itself (nothing from this machine's environment mixed in).
    for key in list(os.environ):
        if key.startswith("IMGPIPE_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("IMGPIPE_"):
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.environment == "local"
    assert settings.aws_endpoint_url == "http://localstack:4566"


def test_settings_fit_localstack_and_the_host(compose: dict[str, Any]) -> None:
    api = _effective_env(compose, "api")
    worker = _effective_env(compose, "worker")
    localstack_port = compose["services"]["localstack"]["ports"][0].split(":")[1]
    # Browsers and the CLI on the host reach S3 through LocalStack's published port.
    assert api["IMGPIPE_S3_PUBLIC_ENDPOINT_URL"] == f"http://127.0.0.1:{localstack_port}"
    # LocalStack has no Rekognition: the worker must analyse locally (or not at all).
    assert worker["IMGPIPE_ANALYSIS_ENGINE"] in ("local", "off")
    assert worker["IMGPIPE_HEARTBEAT_FILE"].startswith(IMAGE_TMP + "/"), "heartbeat on the tmpfs"


def test_init_api_and_worker_agree_on_the_resources(compose: dict[str, Any]) -> None:
    envs = {name: _effective_env(compose, name) for name in APP_SERVICES}
    for field in SHARED_FIELDS:
        key = f"IMGPIPE_{field.upper()}"
        values = {name: env.get(key) for name, env in envs.items()}
        assert len(set(values.values())) == 1, f"{key} differs: {values}"
