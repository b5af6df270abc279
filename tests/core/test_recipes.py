"""Presets are settings: `default` is today's outputs built from the thumbnail settings, and every preset is held to
the same rules as a request's `outputs`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.recipes import Rendition


def test_the_default_preset_follows_the_thumbnail_settings() -> None:
    settings = Settings(thumbnail_sizes=[300, 50], thumbnail_quality=70, processed_max_side=800, processed_quality=60)
    default = settings.recipes["default"]
    assert [(r.name, r.box, r.fit, r.format, r.encoder_quality) for r in default] == [
        ("thumb-300.jpg", (300, 300), "inside", "jpeg", 70),
        ("thumb-50.jpg", (50, 50), "inside", "jpeg", 70),
        ("processed.webp", (800, 800), "inside", "webp", 60),
    ]
    assert list(settings.recipes) == ["default", "avatar", "hero"]


def test_presets_survive_the_trip_through_env(monkeypatch: pytest.MonkeyPatch) -> None:
    square = Rendition(name="sq.webp", width=99, height=99, fit="cover", format="webp", gravity="entropy")
    original = Settings(presets={"square": [square], "default": [square]})
    for name, value in original.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original
    assert Settings().recipes == {"default": [square], "square": [square]}  # `default` redefined


@pytest.mark.parametrize(
    ("presets", "why"),
    [
        ({"Bad Name": [{"name": "a.jpg", "width": 9, "format": "jpeg"}]}, "does not match"),
        ({"empty": []}, "at least one output"),
        ({"twice": [{"name": "a.jpg", "width": 9, "format": "jpeg"}] * 2}, "repeated: a.jpg"),
        ({"huge": [{"name": "a.jpg", "width": 8000, "height": 8000, "format": "jpeg"}]}, "the limit is 50000000"),
        ({"bad": [{"name": "a.jpg", "width": 9, "fit": "cover", "format": "jpeg"}]}, "needs both"),
    ],
)
def test_a_bad_preset_stops_the_settings_from_loading(presets: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        Settings(presets=presets)
