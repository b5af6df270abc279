from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.analysis import Analysis, AnalysisFeature, BoundingBox, Face, Faces
from core.recipes import Gravity
from harness.crop_costs import crop_costs
from worker.analysis.features import features_to_run
from worker.crop import NO_DETECTOR_NOTE, NO_FACE_NOTE, centered_box, crop_box, face_boxes


@pytest.mark.parametrize(
    ("size", "target", "box"),
    [
        ((4000, 3000), (1, 1), (500, 0, 3500, 3000)),  # wide image, square crop: full height, centred
        ((3000, 4000), (1, 1), (0, 500, 3000, 3500)),  # tall image, square crop: full width, centred
        ((1920, 1080), (16, 9), (0, 0, 1920, 1080)),  # same aspect: the whole image
        ((1000, 10), (1, 1), (495, 0, 505, 10)),
    ],
)
def test_the_centred_box_is_the_largest_of_the_target_aspect(
    size: tuple[int, int], target: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    assert centered_box(size, *target) == box


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def _flat(size: tuple[int, int], colour: tuple[int, int, int] = (128, 128, 128)) -> Image.Image:
    return Image.new("RGB", size, colour)


@pytest.mark.parametrize("where", [(150, 300), (2900, 300)])
def test_entropy_keeps_a_busy_patch_on_a_flat_background(where: tuple[int, int]) -> None:
    image = _flat((4000, 1500))
    patch = (where[0], where[1], where[0] + 800, where[1] + 800)
    image.paste(_noise((800, 800)), patch[:2])
    crop = crop_box(image, 1, 1, Gravity.ENTROPY)
    assert crop.gravity is Gravity.ENTROPY and crop.note is None
    assert _inside(patch, crop.box), crop.box
    assert crop.box[2] - crop.box[0] == 1500 and crop.box[3] - crop.box[1] == 1500  # still the largest square


def test_entropy_searches_the_vertical_axis_of_a_tall_image() -> None:
    image = _flat((1000, 3000))
    patch = (100, 2450, 500, 2850)
    image.paste(_noise((400, 400)), patch[:2])
    assert _inside(patch, crop_box(image, 2, 1, Gravity.ENTROPY).box)


@pytest.mark.parametrize("gravity", [Gravity.ENTROPY, Gravity.ATTENTION])
def test_a_flat_image_is_cropped_in_the_centre(gravity: Gravity) -> None:
    image = _flat((3000, 1000))
    assert crop_box(image, 1, 1, gravity).box == centered_box(image.size, 1, 1)


@pytest.mark.parametrize(
    ("colour", "what"),
    [((220, 30, 40), "a saturated red object"), ((224, 172, 140), "a skin-toned object")],
)
def test_attention_keeps_a_saturated_or_skin_toned_object_over_grey_texture(
    colour: tuple[int, int, int], what: str
) -> None:
    # Grey texture on the left (busier by entropy), the object on a flat grey right side.
    image = _flat((4000, 1000), (120, 120, 120))
    grey_noise = _noise((900, 900), seed=2).convert("L").point(lambda v: 90 + v // 4).convert("RGB")
    image.paste(grey_noise, (50, 50))
    obj = (3000, 250, 3500, 750)
    image.paste(_flat((500, 500), colour), obj[:2])
    crop = crop_box(image, 1, 1, Gravity.ATTENTION)
    assert _inside(obj, crop.box), (what, crop.box)
    assert crop.gravity is Gravity.ATTENTION


def test_faces_centres_the_crop_on_the_faces_found() -> None:
    image = _flat((4000, 1000))
    faces = [
        BoundingBox(left=0.80, top=0.2, width=0.05, height=0.3),
        BoundingBox(left=0.72, top=0.3, width=0.04, height=0.2),
    ]
    crop = crop_box(image, 1, 1, Gravity.FACES, faces=faces)
    assert crop.gravity is Gravity.FACES and crop.note is None
    around = (2880, 200, 3400, 500)  # both faces, in pixels
    assert _inside(around, crop.box)
    assert abs((crop.box[0] + crop.box[2]) / 2 - 3140) <= 1  # centred on them


def test_a_face_at_the_edge_keeps_the_crop_inside_the_image() -> None:
    image = _flat((4000, 1000))
    crop = crop_box(image, 1, 1, Gravity.FACES, faces=[BoundingBox(left=0.0, top=0.1, width=0.02, height=0.1)])
    assert crop.box == (0, 0, 1000, 1000)


@pytest.mark.parametrize(("faces", "note"), [([], NO_FACE_NOTE), (None, NO_DETECTOR_NOTE)])
def test_faces_without_a_face_crops_by_attention_and_says_so(faces: list[BoundingBox] | None, note: str) -> None:
    image = _flat((4000, 1000), (120, 120, 120))
    obj = (200, 250, 700, 750)
    image.paste(_flat((500, 500), (220, 30, 40)), obj[:2])
    crop = crop_box(image, 1, 1, Gravity.FACES, faces=faces)
    assert crop.gravity is Gravity.ATTENTION and crop.note == note
    assert _inside(obj, crop.box)


@pytest.mark.parametrize("gravity", list(Gravity))
@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_every_gravity_takes_any_pixel_mode(gravity: Gravity, mode: str) -> None:
    image = _noise((600, 200)).convert(mode)
    box = crop_box(image, 1, 1, gravity).box
    assert box[2] - box[0] == 200 and box[3] - box[1] == 200
    assert box[0] >= 0 and box[2] <= 600


@pytest.mark.parametrize("gravity", list(Gravity))
def test_an_image_already_of_the_target_aspect_is_kept_whole(gravity: Gravity) -> None:
    image = _noise((640, 480))
    assert crop_box(image, 4, 3, gravity).box == (0, 0, 640, 480)


def test_crop_costs_times_every_gravity() -> None:
    costs = crop_costs(_noise((800, 600)), repeats=1)
    assert set(costs) == {g.value for g in Gravity}
    assert all(ms >= 0 for ms in costs.values())


def test_face_boxes_come_from_the_analysis_and_none_means_no_detector() -> None:
    box = BoundingBox(left=0.5, top=0.1, width=0.1, height=0.2)
    found = Analysis(engine="rekognition", faces=Faces(available=True, faces=[Face(box=box, confidence=99.0)]))
    assert face_boxes(found) == [box]
    assert face_boxes(Analysis(engine="rekognition", faces=Faces(available=True))) == []
    assert face_boxes(Analysis(engine="local", faces=Faces(available=False, reason="no detector"))) is None
    assert face_boxes(Analysis(engine="local")) is None  # faces not asked for
    assert face_boxes(None) is None


def test_a_rendition_cropped_around_faces_adds_faces_to_the_analysis_run_once() -> None:
    text, faces = AnalysisFeature.TEXT, AnalysisFeature.FACES
    assert features_to_run([text], [Gravity.CENTER, Gravity.FACES, Gravity.FACES]) == [text, faces]
    assert features_to_run([faces, text], [Gravity.FACES]) == [faces, text]
    assert features_to_run([text], [Gravity.ENTROPY]) == [text]
    assert features_to_run([], []) == []
