"""Renditions cropped around faces: the faces are asked for once, from the upright analysis image, and the crop
keeps them; when no face is known the crop says how it was placed instead (the output's `crop_note`)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from core.analysis import BoundingBox
from core.config import Settings
from core.jobs import ImageMetadata
from core.recipes import Gravity, Rendition
from harness.images import encode
from worker.crop import NO_DETECTOR_NOTE, NO_FACE_NOTE
from worker.stages.image import process_image

SETTINGS = Settings()
RECIPE = [
    Rendition(name="square.png", width=200, height=200, fit="cover", format="png", gravity="faces"),
    Rendition(name="wide.jpg", width=400, format="jpeg"),
]
# A wide, plain image: a dark "face" near the right edge, and a saturated red decoy near the left edge, which is
# what an attention crop picks. A centred square crop holds neither.
FACE = BoundingBox.from_ratios(0.85, 0.4, 0.1, 0.2)


def _wide() -> bytes:
    pixels = np.full((600, 1800, 3), 128, dtype=np.uint8)
    pixels[240:360, 1530:1710] = (40, 40, 40)
    pixels[240:360, 90:270] = (220, 40, 40)
    return encode(Image.fromarray(pixels), "PNG")


def _share(data: bytes, colour: tuple[int, int, int]) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    return float((np.abs(pixels - np.array(colour)).max(axis=-1) < 30).mean())


def _face(data: bytes) -> float:
    return _share(data, (40, 40, 40))


def _decoy(data: bytes) -> float:
    return _share(data, (220, 40, 40))


def test_the_crop_keeps_the_faces_found_once_in_the_upright_image() -> None:
    calls: list[tuple[tuple[int, int], ImageMetadata]] = []

    def find_faces(upright: Image.Image, metadata: ImageMetadata) -> Sequence[BoundingBox]:
        calls.append((upright.size, metadata))
        return [FACE]

    outcome = process_image(_wide(), SETTINGS, RECIPE, find_faces=find_faces)
    [(size, metadata)] = calls
    assert size == outcome.upright.size and metadata == outcome.metadata
    square = next(r for r in outcome.renditions if r.name == "square.png")
    assert (square.width, square.height) == (200, 200)
    assert _face(square.data) > 0.05 and _decoy(square.data) == 0 and square.crop_note is None
    # The same crop placed otherwise: centred it holds neither; by attention, the decoy.
    centred = process_image(_wide(), SETTINGS, [RECIPE[0].model_copy(update={"gravity": Gravity.CENTER})])
    assert _face(centred.renditions[0].data) == 0 and _decoy(centred.renditions[0].data) == 0


def test_without_faces_the_crop_says_how_it_was_placed() -> None:
    none_found = process_image(_wide(), SETTINGS, RECIPE, find_faces=lambda _image, _metadata: [])
    no_detector = process_image(_wide(), SETTINGS, RECIPE, find_faces=lambda _image, _metadata: None)
    not_asked = process_image(_wide(), SETTINGS, RECIPE)
    assert [r.crop_note for r in none_found.renditions] == [NO_FACE_NOTE, None]
    assert _decoy(none_found.renditions[0].data) > 0.05  # by attention
    assert [r.crop_note for r in no_detector.renditions] == [NO_DETECTOR_NOTE, None]
    assert [r.crop_note for r in not_asked.renditions] == [NO_DETECTOR_NOTE, None]


def test_faces_are_not_looked_for_without_a_crop_around_them() -> None:
    calls: list[object] = []
    process_image(_wide(), SETTINGS, RECIPE[1:], find_faces=lambda image, metadata: calls.append(image) or None)
    assert calls == []
