"""Recipes: the renditions a job asks for. Shared by the API (validated at creation) and the worker (rendered).

Only the vocabulary lives here so far; the rendition model and presets come with per-job outputs (issue #16).
"""

from __future__ import annotations

from enum import StrEnum


class Fit(StrEnum):
    """How a rendition fits its width x height box (the words of CSS object-fit / sharp / libvips)."""

    CONTAIN = "contain"  # the whole image inside the box, aspect kept (may be smaller than the box on one side)
    COVER = "cover"  # the box filled, aspect kept, the overflow cropped (where: `gravity`)
    FILL = "fill"  # exactly the box, aspect not kept
    INSIDE = "inside"  # like contain, but never enlarged


class Gravity(StrEnum):
    """Where a `cover` crop keeps the image: its centre, or what matters in it."""

    CENTER = "center"
    ENTROPY = "entropy"  # the busiest region (entropy of edges), as libvips' smartcrop "entropy"
    ATTENTION = "attention"  # skin, saturation and edges, as libvips' smartcrop "attention"
    FACES = "faces"  # around the faces found; `attention` when there is none
