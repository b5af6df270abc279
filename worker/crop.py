"""Where to crop an image to a target aspect ratio: the centre, or around what matters in it (smart crop)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from core.recipes import Gravity


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


def crop_box(image: Image.Image, width: int, height: int, gravity: Gravity) -> Crop:
    """The box of aspect width:height to keep from `image`, placed by `gravity`.

    Only `center` is implemented yet; the smart gravities arrive with issue #16's crop work and keep this signature.
    """
    if gravity is not Gravity.CENTER:
        raise NotImplementedError(f"gravity {gravity} is not implemented yet")
    return Crop(centered_box(image.size, width, height), Gravity.CENTER)
