"""The pages of the API: the offline docs, the results page and its configuration, and error bodies for paths
that are not routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.schemas import JobView
from cli.stack import LocalStack
from core.api_keys import LOCAL_DEV_API_KEY
from core.config import Settings


@pytest.fixture
def anonymous(stack: LocalStack) -> Iterator[httpx.Client]:
    assert stack.api is not None
    with httpx.Client(base_url=stack.api.url, timeout=10) as client:
        yield client


def test_home_redirects_to_the_results_page(anonymous: httpx.Client) -> None:
    response = anonymous.get("/")
    assert response.status_code == 307
    assert response.headers["location"].endswith("/ui")
    assert anonymous.head("/ui").status_code == 200
    page = anonymous.get("/ui")
    assert page.status_code == 200
    assert 'id="file-input"' in page.text
    # Only its own script and styles may run on the page that handles the API key.
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_their_assets_from_the_api_not_a_cdn(anonymous: httpx.Client, path: str) -> None:
    page = anonymous.get(path)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), f"{path} loads {asset} from elsewhere"
        assert anonymous.get(asset).status_code == 200, asset
    assert "cdn.jsdelivr" not in page.text and "fonts.googleapis" not in page.text


def test_the_local_stack_offers_its_dev_key_to_the_page(anonymous: httpx.Client, api_key: str) -> None:
    config = anonymous.get("/ui/config.json").json()
    assert config == {"environment": "local", "default_api_key": api_key, "docs_url": "/docs"}


def test_no_key_is_offered_outside_a_local_stack() -> None:
    with TestClient(create_app(Settings(environment="aws", analysis_engine="off"))) as client:
        config = client.get("/ui/config.json").json()
        spec = client.get("/openapi.json").json()
    assert config["default_api_key"] is None
    assert LOCAL_DEV_API_KEY not in spec["info"]["description"]


def test_every_success_response_in_the_docs_says_what_it_carries(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    vague = [
        f"{method.upper()} {path} {code}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
        if code.startswith("2") and response["description"] == "Successful Response"
    ]
    assert vague == []
    ready = spec["paths"]["/readyz"]["get"]["responses"]["200"]
    assert ready["content"]["application/json"]["example"] == {"status": "ready"}


@pytest.mark.parametrize("engine", ["local", "rekognition", "off"])
def test_the_job_example_in_the_docs_shows_this_deployments_engine(engine: str) -> None:
    with TestClient(create_app(Settings(analysis_engine=engine))) as client:
        spec = client.get("/openapi.json").json()
    (example,) = spec["components"]["schemas"]["JobView"]["examples"]
    assert example["result"]["analysis"]["engine"] == engine
    assert JobView.model_validate(example).job_id  # a job as the API would answer it
    if engine == "local":  # no label classifier offline: the example must not promise labels
        assert example["result"]["analysis"]["labels"] == []


def test_the_local_stack_docs_show_its_engine(anonymous: httpx.Client, stack: LocalStack) -> None:
    spec = anonymous.get("/openapi.json").json()
    engine = spec["components"]["schemas"]["JobView"]["examples"][0]["result"]["analysis"]["engine"]
    assert engine == stack.settings.analysis_engine


def test_unknown_paths_and_methods_get_the_error_body(anonymous: httpx.Client) -> None:
    missing = anonymous.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert "/docs" in missing.json()["error"]["message"]
    asset = anonymous.get("/ui/assets/nothing.js")
    assert asset.status_code == 404 and asset.json()["error"]["code"] == "not_found"
    wrong_method = anonymous.delete("/v1/limits")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == {
        "code": "method_not_allowed",
        "message": "DELETE is not allowed on /v1/limits; use GET.",
        "details": {},
    }
    assert wrong_method.headers["allow"] == "GET"


def test_limits_tell_clients_what_is_accepted(api: httpx.Client, stack: LocalStack) -> None:
    limits = api.get("/v1/limits").json()
    assert {k: limits[k] for k in ("max_upload_bytes", "accepted_content_types", "upload_url_ttl_seconds")} == {
        "max_upload_bytes": stack.settings.max_upload_bytes,
        "accepted_content_types": sorted(
            ["image/jpeg", "image/png", "image/heic", "image/heif", "image/avif", "image/webp", "image/tiff"]
        ),
        "upload_url_ttl_seconds": stack.settings.upload_url_ttl_seconds,
    }  # the presets and recipe limits: tests/api/routes/test_recipes.py


def test_the_page_files_ship_in_the_package() -> None:
    """The API image installs a wheel: every file under api/static must be declared as package data."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"].get("api", [])
    static = [p.relative_to(root / "api").as_posix() for p in (root / "api" / "static").rglob("*") if p.is_file()]
    assert static
    missing = [f for f in static if not any(fnmatch.fnmatch(f, pattern) for pattern in declared)]
    assert not missing, f'add to [tool.setuptools.package-data]: api = ["static/*.html", "static/assets/*"]; {missing}'
