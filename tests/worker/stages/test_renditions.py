"""Rendering recipes: each rendition gets the size, format and crop it asks for, from one decode; a rendition that
cannot be made fails the job with rendition_failed and no outputs."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.config import Settings
from core.errors import RenditionFailedError
from core.recipes import Rendition
from harness.images import edge_bands, encode, jpeg, photo
from worker.stages import renditions as renditions_module
from worker.stages import validate
from worker.stages.image import process_image
from worker.stages.renditions import fitted_box
from worker.stages.thumbnails import fitted_size

SETTINGS = Settings()


def _recipe(*outputs: dict[str, Any]) -> list[Rendition]:
    return [Rendition.model_validate(o) for o in outputs]


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000), (10000, 3), (3, 10000), (999, 1001), (7, 5000)])
@pytest.mark.parametrize("box", [(1024, 1024), (300, 100), (100, 300), (2000, 8192)])
def test_fitted_box_is_what_thumbnail_picks(size: tuple[int, int], box: tuple[int, int]) -> None:
    reference = Image.new("L", size)
    reference.thumbnail(box)
    if reference.size != size:  # thumbnail() never enlarges; fitted_box does, for `contain`
        assert fitted_box(size, box) == reference.size
    if box[0] == box[1]:
        assert fitted_box(size, box) == fitted_size(size, box[0]) or fitted_size(size, box[0]) == size


def test_each_fit_and_format_gets_exactly_what_it_asks() -> None:
    data = encode(edge_bands(4000, 3000), "JPEG", quality=92)
    recipe = _recipe(
        {"name": "square.webp", "width": 256, "height": 256, "fit": "cover", "format": "webp"},
        {"name": "wide.avif", "width": 2000, "format": "avif", "quality": 50},
        {"name": "stretched.png", "width": 300, "height": 100, "fit": "fill", "format": "png"},
        {"name": "box.jpg", "width": 500, "height": 500, "fit": "contain", "format": "jpeg"},
        {"name": "tall.jpg", "height": 90, "format": "jpeg"},
    )
    outcome = process_image(data, SETTINGS, recipe)
    assert [r.name for r in outcome.renditions] == [r.name for r in recipe]  # the recipe's order
    expected = {
        "square.webp": ("WEBP", (256, 256)),
        "wide.avif": ("AVIF", (2000, 1500)),
        "stretched.png": ("PNG", (300, 100)),
        "box.jpg": ("JPEG", (500, 375)),
        "tall.jpg": ("JPEG", (120, 90)),
    }
    for output in outcome.renditions:
        image = _opened(output.data)
        assert (image.format, image.size) == expected[output.name], output.name
        assert (output.width, output.height) == image.size
        assert output.content_type == f"image/{image.format.lower()}"
        assert not image.getexif()  # no metadata carried over
    # The cover crop is centred: both coloured edge bands are cut away; the whole-frame fits keep them.
    square = np.asarray(_opened(outcome.renditions[0].data).convert("RGB"), dtype=np.int16)
    assert square[..., 0].max() < 80 and square[..., 2].max() < 80
    box = np.asarray(_opened(outcome.renditions[3].data).convert("RGB"), dtype=np.int16)
    assert box[:, :5, 0].mean() > 150 and box[:, -5:, 2].mean() > 150


def test_inside_never_enlarges_and_contain_does() -> None:
    recipe = _recipe(
        {"name": "inside.jpg", "width": 800, "format": "jpeg"},
        {"name": "contain.jpg", "width": 800, "fit": "contain", "format": "jpeg"},
        {"name": "cover.webp", "width": 600, "height": 600, "fit": "cover", "format": "webp"},
    )
    sizes = {r.name: (r.width, r.height) for r in process_image(jpeg(400, 200), SETTINGS, recipe).renditions}
    assert sizes == {"inside.jpg": (400, 200), "contain.jpg": (800, 400), "cover.webp": (600, 600)}


def test_sizes_and_crops_are_of_the_upright_image() -> None:
    # Stored 3000 x 2000 with orientation 6: displayed 2000 x 3000 (portrait).
    recipe = _recipe(
        {"name": "portrait.webp", "width": 100, "height": 300, "fit": "cover", "format": "webp"},
        {"name": "fit.jpg", "width": 300, "height": 300, "format": "jpeg"},
    )
    outcome = process_image(jpeg(3000, 2000, orientation=6), SETTINGS, recipe)
    assert {r.name: (r.width, r.height) for r in outcome.renditions} == {
        "portrait.webp": (100, 300),
        "fit.jpg": (200, 300),
    }


def test_transparency_is_kept_where_the_format_has_it() -> None:
    source = photo(600, 400).convert("RGBA")
    source.putalpha(Image.linear_gradient("L").resize((600, 400)))
    recipe = _recipe(
        {"name": "a.png", "width": 300, "format": "png"},
        {"name": "a.webp", "width": 300, "format": "webp"},
        {"name": "a.jpg", "width": 300, "format": "jpeg"},
    )
    modes = {r.name: _opened(r.data).mode for r in process_image(encode(source, "PNG"), SETTINGS, recipe).renditions}
    assert modes == {"a.png": "RGBA", "a.webp": "RGBA", "a.jpg": "RGB"}


def test_a_jpeg_is_decoded_once_at_the_smallest_scale_that_serves_the_largest_rendition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[int, int]] = []
    real = validate.decode_jpeg

    def spy(data: bytes, header: Any, size: tuple[int, int] | None) -> Image.Image:
        image = real(data, header, size)
        seen.append(image.size)
        return image

    monkeypatch.setattr(validate, "decode_jpeg", spy)
    # 4000 x 1000: a 500 x 500 cover crop needs half the source's height, so the decode may go to 1/2, not 1/8.
    data = jpeg(4000, 1000)
    recipe = _recipe({"name": "sq.jpg", "width": 500, "height": 500, "fit": "cover", "format": "jpeg"})
    outcome = process_image(data, SETTINGS, recipe)
    assert seen == [(2000, 500)]
    assert (outcome.renditions[0].width, outcome.renditions[0].height) == (500, 500)


def test_the_default_recipe_is_todays_outputs() -> None:
    outcome = process_image(jpeg(4000, 3000), SETTINGS)
    assert [(r.name, r.content_type, r.width, r.height) for r in outcome.renditions] == [
        ("thumb-1024.jpg", "image/jpeg", 1024, 768),
        ("thumb-512.jpg", "image/jpeg", 512, 384),
        ("thumb-128.jpg", "image/jpeg", 128, 96),
        ("processed.webp", "image/webp", 1024, 768),
    ]
    assert outcome.upright.size == (1024, 768)  # what the analysis looks at, whatever the recipe


def test_a_rendition_that_cannot_be_made_fails_the_whole_job(monkeypatch: pytest.MonkeyPatch) -> None:
    real = renditions_module.encode_rendition

    def refusing(image: Image.Image, rendition: Rendition) -> bytes:
        if rendition.name == "b.avif":
            raise OSError("encoder error")
        return real(image, rendition)

    monkeypatch.setattr(renditions_module, "encode_rendition", refusing)
    recipe = _recipe(
        {"name": "a.jpg", "width": 100, "format": "jpeg"}, {"name": "b.avif", "width": 50, "format": "avif"}
    )
    with pytest.raises(RenditionFailedError) as raised:
        process_image(jpeg(400, 300), SETTINGS, recipe)
    assert raised.value.code == "rendition_failed"
    assert "'b.avif'" in raised.value.message and "encoder error" in raised.value.message
