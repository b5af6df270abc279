"""libvips as the worker uses it (worker/stages/vips.py): pinned runtime, and whole-frame reductions of Pillow images
that match Pillow's own LANCZOS within a few levels without letting transparent colours bleed."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips
from PIL import Image

from harness.images import encode, photo
from worker.stages.vips import reduced


def test_the_libvips_runtime_is_pinned() -> None:
    assert pyvips.concurrency_get() == 1  # one thread per call: the worker's own threads run the jobs
    assert pyvips.cache_get_max() == 0  # no operation cache holding uploads' pixels
    jpeg = encode(photo(64, 48), "JPEG")
    with pytest.raises(pyvips.Error):  # no loader but PNG's is reachable, even by name
        pyvips.Image.jpegload_buffer(jpeg).avg()
    with pytest.raises(pyvips.Error):  # nor by sniffing
        pyvips.Image.new_from_buffer(jpeg, "").avg()
    png = encode(photo(64, 48), "PNG")
    assert pyvips.Image.pngload_source(pyvips.Source.new_from_memory(png)).width == 64
    with pytest.raises(pyvips.Error):  # PNG's buffer loader copies the upload first: not that one either
        pyvips.Image.pngload_buffer(png).avg()


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(512, 384), (128, 96), (300, 100)])
def test_reductions_match_pillows_lanczos(mode: str, size: tuple[int, int]) -> None:
    image = photo(1024, 768, mode)
    ours = reduced(image, size)
    assert ours is not None
    assert (ours.mode, ours.size) == (mode, size)
    theirs = image.resize(size, Image.Resampling.LANCZOS)
    diff = np.abs(np.asarray(ours, dtype=np.int16) - np.asarray(theirs, dtype=np.int16))
    assert int(diff.max()) <= 12
    assert float(diff.mean()) < 1.0


def test_a_reduction_does_not_bleed_transparent_colours() -> None:
    pixels = np.zeros((384, 512, 4), dtype=np.uint8)
    pixels[:, :256] = (0, 0, 255, 255)  # opaque blue
    pixels[:, 256:] = (255, 0, 0, 0)  # transparent, with red colour values nobody should see
    out = reduced(Image.fromarray(pixels, "RGBA"), (128, 96))
    assert out is not None
    decoded = np.asarray(out)
    visible = decoded[..., 3] > 0
    assert visible[:, 64:66].any()
    assert int(decoded[visible][..., 0].max()) <= 2


@pytest.mark.parametrize(
    ("image", "size"),
    [
        (photo(200, 100).convert("P"), (100, 50)),  # modes libvips is not given: Pillow's path
        (photo(200, 100).convert("LA"), (100, 50)),
        (photo(200, 100), (400, 200)),  # enlargements: Pillow's
        (photo(200, 100), (200, 100)),  # nothing to do
    ],
    ids=["palette", "grey-alpha", "enlarged", "same-size"],
)
def test_other_resizes_are_left_to_pillow(image: Image.Image, size: tuple[int, int]) -> None:
    assert reduced(image, size) is None
