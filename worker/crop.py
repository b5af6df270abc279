"""Where to crop an image to a target aspect ratio: the centre, or around what matters in it (smart crop).

The crop is always the largest box of the target aspect (the image's full extent on one axis); gravity decides
where it slides along the other. `entropy` and `attention` score a small copy (worker/saliency.py); `faces` centres
the box on the faces found, which come in as boxes: the analysis finds them once per job (Rekognition DetectFaces,
or the local engine's detector: worker/analysis/faces.py), not once per rendition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from core.analysis import Analysis, BoundingBox
from core.recipes import Gravity
from worker.saliency import attention_windows, best_offset, entropy_windows, small_rgb

NO_DETECTOR_NOTE = "no face detector with this analysis engine: cropped by attention"
NO_FACE_NOTE = "no face found: cropped by attention"


@dataclass(frozen=True)
class Crop:
    box: tuple[int, int, int, int]  # left, top, right, bottom, in the image's pixels
    gravity: Gravity  # the gravity that placed the box (`faces` without a face falls back to `attention`)
    note: str | None = None  # why it differs from the one asked for, e.g. "no face found: cropped by attention"


def centered_box(size: tuple[int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """The largest box of aspect width:height inside an image of `size`, centred."""
    image_w, image_h = size
    if image_w * height > image_h * width:  # the image is wider than the target: keep the full height
        crop_w, crop_h = max(1, round(image_h * width / height)), image_h
    else:
        crop_w, crop_h = image_w, max(1, round(image_w * height / width))
    left, top = (image_w - crop_w) // 2, (image_h - crop_h) // 2
    return left, top, left + crop_w, top + crop_h


def _slid(box: tuple[int, int, int, int], size: tuple[int, int], start: float) -> tuple[int, int, int, int]:
    """`box` moved along the axis it does not fill so that it starts at `start` px, kept inside the image."""
    left, top, right, bottom = box
    crop_w, crop_h = right - left, bottom - top
    if crop_w < size[0]:
        left = min(max(0, round(start)), size[0] - crop_w)
        return left, top, left + crop_w, bottom
    top = min(max(0, round(start)), size[1] - crop_h)
    return left, top, right, top + crop_h


def _scored_box(image: Image.Image, box: tuple[int, int, int, int], gravity: Gravity) -> tuple[int, int, int, int]:
    """The box slid to the window of the small copy with the best `gravity` score."""
    image_w, image_h = image.size
    crop_w, crop_h = box[2] - box[0], box[3] - box[1]
    if crop_w == image_w and crop_h == image_h:
        return box
    rgb = small_rgb(image)
    small_h, small_w = rgb.shape[:2]
    axis, length, small_length, crop_length = (
        (1, image_w, small_w, crop_w) if crop_w < image_w else (0, image_h, small_h, crop_h)
    )
    window = min(small_length, max(1, round(crop_length * small_length / length)))
    score = entropy_windows if gravity is Gravity.ENTROPY else attention_windows
    offset = best_offset(score(rgb, window, axis))
    if offset is None:
        return box
    return _slid(box, image.size, offset * length / small_length)


def face_boxes(analysis: Analysis | None) -> list[BoundingBox] | None:
    """crop_box's `faces` from a job's analysis: the boxes found, [] when none was, None when no detector ran (not
    asked for, or not available with this engine)."""
    found = analysis.faces if analysis is not None else None
    if found is None or not found.available:
        return None
    return [face.box for face in found.faces]


def faces_box(faces: Sequence[BoundingBox]) -> BoundingBox:
    """The box around all `faces` (ratios of the image)."""
    left, top = min(f.left for f in faces), min(f.top for f in faces)
    right, bottom = max(f.left + f.width for f in faces), max(f.top + f.height for f in faces)
    return BoundingBox.from_ratios(left, top, right - left, bottom - top)


def crop_box(
    image: Image.Image,
    width: int,
    height: int,
    gravity: Gravity,
    *,
    faces: Sequence[BoundingBox] | None = None,
) -> Crop:
    """The box of aspect width:height to keep from `image`, placed by `gravity`.

    `faces`: for gravity `faces`, the boxes (ratios of this upright image) of the faces the analysis found; an
    empty list when it found none, None when no face detector ran. Either way the crop falls back to
    `attention`, and `note` says why.
    """
    box = centered_box(image.size, width, height)
    if gravity is Gravity.CENTER:
        return Crop(box, Gravity.CENTER)
    if gravity is Gravity.FACES:
        if not faces:
            note = NO_DETECTOR_NOTE if faces is None else NO_FACE_NOTE
            return Crop(_scored_box(image, box, Gravity.ATTENTION), Gravity.ATTENTION, note)
        around = faces_box(faces)
        # Centred on the faces: a box too small for all of them keeps their middle.
        if box[2] - box[0] < image.width:
            start = (around.left + around.width / 2) * image.width - (box[2] - box[0]) / 2
        else:
            start = (around.top + around.height / 2) * image.height - (box[3] - box[1]) / 2
        return Crop(_slid(box, image.size, start), Gravity.FACES)
    return Crop(_scored_box(image, box, gravity), gravity)
