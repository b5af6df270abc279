"""Recipes at creation, over real HTTP: a preset or custom outputs, stored on the job; invalid ones answer 422
`validation_error` naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.config import Settings


def _create(api: httpx.Client, **recipe: Any) -> httpx.Response:
    body = {"filename": "photo.jpg", "content_type": "image/jpeg", "size_bytes": 1234, **recipe}
    return api.post("/v1/jobs", json=body)


def _square(name: str = "sq.webp", side: int = 256, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "width": side, "height": side, "fit": "cover", "format": "webp", **overrides}


def test_a_job_keeps_the_preset_or_outputs_it_was_created_with(api: httpx.Client) -> None:
    default = api.get(f"/v1/jobs/{_create(api).json()['job_id']}").json()
    assert default["preset"] == "default"
    assert [o["name"] for o in default["recipe"]] == [
        "thumb-1024.jpg",
        "thumb-512.jpg",
        "thumb-128.jpg",
        "processed.webp",
    ]

    avatar = api.get(f"/v1/jobs/{_create(api, preset='avatar').json()['job_id']}").json()
    assert avatar["preset"] == "avatar"
    assert [o["name"] for o in avatar["recipe"]] == ["avatar-256.webp", "avatar-64.webp"]

    outputs = [_square(), {"name": "big.avif", "width": 2000, "format": "avif"}]
    custom = api.get(f"/v1/jobs/{_create(api, outputs=outputs).json()['job_id']}").json()
    assert custom["preset"] is None
    assert custom["recipe"] == [
        {**_square(), "quality": None, "gravity": "center", "strip_metadata": True},
        {
            "name": "big.avif",
            "width": 2000,
            "height": None,
            "fit": "inside",
            "format": "avif",
            "quality": None,
            "gravity": "center",
            "strip_metadata": True,
        },
    ]


def _refused(response: httpx.Response) -> tuple[list[str], dict[str, Any]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return [e["location"] for e in error["details"]["errors"]], error


INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "unknown preset": ({"preset": "thumbnails"}, "body.preset"),
    "preset and outputs": ({"preset": "avatar", "outputs": [_square()]}, "body.outputs"),
    "no outputs": ({"outputs": []}, "body.outputs"),
    "name with a slash": ({"outputs": [_square(name="../x.webp")]}, "body.outputs.0.name"),
    "upper-case name": ({"outputs": [_square(name="A.webp")]}, "body.outputs.0.name"),
    "name too long": ({"outputs": [_square(name="a" * 65)]}, "body.outputs.0.name"),
    "repeated names": ({"outputs": [_square(), _square(side=64)]}, "body.outputs"),
    "too many": ({"outputs": [_square(name=f"s{i}.webp", side=16) for i in range(11)]}, "body.outputs"),
    "too many pixels": ({"outputs": [_square(name=f"s{i}.webp", side=4096) for i in range(3)]}, "body.outputs"),
    "width 0": ({"outputs": [_square(width=0)]}, "body.outputs.0.width"),
    "width too large": ({"outputs": [_square(width=8193)]}, "body.outputs.0.width"),
    "width as a string": ({"outputs": [_square(width="256")]}, "body.outputs.0.width"),
    "no size": ({"outputs": [{"name": "a.jpg", "format": "jpeg"}]}, "body.outputs.0"),
    "cover without height": (
        {"outputs": [{"name": "a.jpg", "width": 9, "fit": "cover", "format": "jpeg"}]},
        "body.outputs.0",
    ),
    "unknown fit": ({"outputs": [_square(fit="crop")]}, "body.outputs.0.fit"),
    "unknown format": ({"outputs": [_square(format="gif")]}, "body.outputs.0.format"),
    "quality 0": ({"outputs": [_square(quality=0)]}, "body.outputs.0.quality"),
    "quality for png": ({"outputs": [_square(format="png", quality=80)]}, "body.outputs.0"),
    "gravity without cover": ({"outputs": [_square(fit="fill", gravity="entropy")]}, "body.outputs.0"),
    "unknown gravity": ({"outputs": [_square(gravity="left")]}, "body.outputs.0.gravity"),
    "metadata kept": ({"outputs": [_square(strip_metadata=False)]}, "body.outputs.0.strip_metadata"),
    "unknown field": ({"outputs": [_square(dpi=72)]}, "body.outputs.0.dpi"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_recipes_are_refused_naming_the_field(api: httpx.Client, case: str) -> None:
    recipe, location = INVALID[case]
    locations, error = _refused(_create(api, **recipe))
    assert locations[0] == location, error
    assert location in error["message"]


def test_an_unknown_preset_is_answered_with_the_presets(api: httpx.Client) -> None:
    _, error = _refused(_create(api, preset="nope"))
    assert error["details"]["presets"] == list(Settings().recipes)
    assert "default, avatar, hero" in error["message"]


def test_limits_list_the_presets_and_the_recipe_limits(api: httpx.Client) -> None:
    limits = api.get("/v1/limits").json()
    assert list(limits["presets"]) == ["default", "avatar", "hero"]
    assert limits["presets"]["default"][0] == {
        "name": "thumb-1024.jpg",
        "width": 1024,
        "height": 1024,
        "fit": "inside",
        "format": "jpeg",
        "quality": 85,
        "gravity": "center",
        "strip_metadata": True,
    }
    assert (limits["max_outputs_per_job"], limits["max_output_pixels_per_job"]) == (10, 50_000_000)
    assert limits["max_output_side"] == 8192
    assert limits["output_formats"] == ["jpeg", "webp", "avif", "png"]
