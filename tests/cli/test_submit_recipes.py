"""`imgpipe submit --preset/--output`: recipes from the command line, read and checked before any upload."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cli.outputs import SpecError, parse_output_spec
from cli.stack import LocalStack
from harness.images import jpeg
from tests.support import run_module


def _imgpipe(stack: LocalStack, *args: str) -> subprocess.CompletedProcess[str]:
    assert stack.api is not None and stack.api.url is not None
    return run_module("cli.main", *args, env={**os.environ, "IMGPIPE_API_URL": stack.api.url}, timeout=120)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "avatar.webp:256x256:cover",
            {"name": "avatar.webp", "width": 256, "height": 256, "fit": "cover", "format": "webp"},
        ),
        (
            "avatar:256x256:cover:webp",
            {"name": "avatar", "width": 256, "height": 256, "fit": "cover", "format": "webp"},
        ),
        ("hero:2000x:AVIF:q55", {"name": "hero", "width": 2000, "height": None, "format": "avif", "quality": 55}),
        ("tall.jpg:x300", {"name": "tall.jpg", "width": None, "height": 300, "fit": "inside", "format": "jpeg"}),
        ("sq.png:64x64:attention:cover", {"width": 64, "fit": "cover", "format": "png", "gravity": "attention"}),
        ('{"name": "a.jpg", "width": 10, "format": "jpeg"}', {"name": "a.jpg", "width": 10, "format": "jpeg"}),
    ],
)
def test_output_specs_read_as_renditions(spec: str, expected: dict[str, object]) -> None:
    fields = parse_output_spec(spec).model_dump(mode="json")
    assert {k: fields[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("avatar.webp", "expected NAME:WxH"),
        ("avatar.webp:x", "expected NAME:WxH"),
        ("avatar:256x256", "add a format"),
        ("a.webp:256x256:crop", "'crop' is not a fit, format, gravity or qN"),
        ("a.webp:256x256:cover:fill", "`fit` given twice"),
        ("A.webp:256x256", "name: String should match pattern"),
        ("a.webp:256x:cover", "needs both `width` and `height`"),
        ("a.png:9x9:q80", "does not apply to `png`"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_output_specs_say_why(spec: str, why: str) -> None:
    with pytest.raises(SpecError, match=why.replace("(", r"\(")):
        parse_output_spec(spec)


def test_submit_makes_the_outputs_asked_for(stack: LocalStack, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(800, 600))
    custom = _imgpipe(
        stack, "submit", "--wait", "--json", "-o", "sq.webp:100x100:cover", "-o", "w:300x:avif", str(photo)
    )
    assert custom.returncode == 0, custom.stderr
    [entry] = json.loads(custom.stdout)
    outputs = [(o["name"], o["content_type"], o["width"], o["height"]) for o in entry["job"]["result"]["outputs"]]
    assert outputs == [("sq.webp", "image/webp", 100, 100), ("w", "image/avif", 300, 225)]

    preset = _imgpipe(stack, "submit", "--wait", "--json", "--preset", "avatar", str(photo))
    assert preset.returncode == 0, preset.stderr
    [entry] = json.loads(preset.stdout)
    assert entry["job"]["preset"] == "avatar"
    assert [o["name"] for o in entry["job"]["result"]["outputs"]] == ["avatar-256.webp", "avatar-64.webp"]


def test_bad_recipes_are_usage_errors_before_any_upload(stack: LocalStack, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg(80, 60))
    unknown = _imgpipe(stack, "submit", "--preset", "nope", str(photo))
    assert unknown.returncode == 2
    assert "No preset is named 'nope'; presets: default, avatar, hero" in unknown.stderr
    bad = _imgpipe(stack, "submit", "-o", "a.webp:256x256:crop", str(photo))
    assert bad.returncode == 2 and "'crop' is not a fit" in bad.stderr
    both = _imgpipe(stack, "submit", "--preset", "avatar", "-o", "a.webp:9x9", str(photo))
    assert both.returncode == 2 and "give --preset or --output, not both" in both.stderr
