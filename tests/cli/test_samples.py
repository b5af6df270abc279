"""The sample images shipped for a first try: small, what their names say, and made by harness/samples.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cli.banner import SAMPLES
from cli.client import guess_content_type, sniff_content_type
from harness.samples import MAX_BYTES, SAMPLE_FILES
from harness.text_images import FONTS_HINT, regular_fonts


def test_each_sample_is_small_and_what_its_name_says() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(SAMPLE_FILES)
    for path in SAMPLES.iterdir():
        assert path.stat().st_size <= MAX_BYTES, path
        assert sniff_content_type(path) == guess_content_type(path), path


@pytest.mark.skipif(not regular_fonts(), reason=f"no fonts to draw the samples with: {FONTS_HINT}")
def test_the_samples_are_the_ones_the_script_makes() -> None:
    for name, render in SAMPLE_FILES.items():
        with Image.open(io.BytesIO(render())) as made, Image.open(SAMPLES / name) as shipped:
            assert (made.format, made.size, made.mode) == (shipped.format, shipped.size, shipped.mode), name
