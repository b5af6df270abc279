"""Recipes: the renditions a job asks for. Shared by the API (validated at creation) and the worker (rendered).

A recipe is a list of renditions; named recipes (presets) live in settings (core/config.py `presets`). The job
stores the renditions it was created with, so a later change of presets does not change what it renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class OutputFormat(StrEnum):
    JPEG = "jpeg"
    WEBP = "webp"
    AVIF = "avif"
    PNG = "png"


CONTENT_TYPES: dict[OutputFormat, str] = {
    OutputFormat.JPEG: "image/jpeg",
    OutputFormat.WEBP: "image/webp",
    OutputFormat.AVIF: "image/avif",
    OutputFormat.PNG: "image/png",
}

# The quality a rendition without `quality` is encoded at. Fixed here, not settings: a job renders as it was asked
# even if settings change. JPEG and WebP: today's thumbnail and processed qualities; AVIF: libavif's scale, where 60
# looks like a JPEG at about 85 for half its bytes. PNG is lossless: no quality.
DEFAULT_QUALITY: dict[OutputFormat, int | None] = {
    OutputFormat.JPEG: 85,
    OutputFormat.WEBP: 80,
    OutputFormat.AVIF: 60,
    OutputFormat.PNG: None,
}

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
MAX_SIDE = 8192  # the largest width or height of any rendition (also the box side a missing width or height means)


def _integer(*names: str) -> dict[str, Any]:
    return {"required": list(names), "properties": {n: {"type": "integer"} for n in names}}


# The rules of `_consistent` below, in the document too (JSON Schema), so that a request it calls valid is taken.
_RULES: dict[str, Any] = {
    "anyOf": [_integer("width"), _integer("height")],
    "allOf": [
        {
            "if": {"required": ["fit"], "properties": {"fit": {"enum": ["cover", "fill"]}}},
            "then": _integer("width", "height"),
        },
        {
            "if": {"required": ["gravity"], "properties": {"gravity": {"enum": ["entropy", "attention", "faces"]}}},
            "then": {"required": ["fit"], "properties": {"fit": {"const": "cover"}}},
        },
        {
            "if": {"required": ["format"], "properties": {"format": {"const": "png"}}},
            "then": {"properties": {"quality": {"type": "null"}}},
        },
    ],
}


class Rendition(BaseModel):
    """One output file of a job: its name, its box, how the image fits the box, and how it is encoded."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_RULES)

    name: str = Field(
        pattern=NAME_PATTERN,
        description="The output's file name, unique in the job and part of its S3 key: lower-case letters, digits, "
        "`.`, `_`, `-`, starting with a letter or digit, at most 64 characters (e.g. `avatar-256.webp`).",
        examples=["avatar-256.webp"],
    )
    width: int | None = Field(
        None, strict=True, ge=1, le=MAX_SIDE, description="Box width in px; leave out to bound by `height` only."
    )
    height: int | None = Field(
        None, strict=True, ge=1, le=MAX_SIDE, description="Box height in px; leave out to bound by `width` only."
    )
    fit: Fit = Field(
        Fit.INSIDE,
        description="`inside` (default): aspect kept, inside the box, never enlarged (today's thumbnails); `contain`: "
        "the same but enlarged to touch the box; `cover`: exactly the box, aspect kept, the overflow cropped where "
        "`gravity` says; `fill`: exactly the box, stretched. `cover` and `fill` need both `width` and `height`.",
    )
    format: OutputFormat = Field(description="Encoding of the file.")
    quality: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=100,
        description="Encoder quality 1-100 (JPEG 85, WebP 80, AVIF 60 when left out); not for lossless `png`.",
    )
    gravity: Gravity = Field(
        Gravity.CENTER, description="Where a `cover` crop keeps the image (only with `fit` `cover`)."
    )
    strip_metadata: Literal[True] = Field(
        True,
        description="Always true: outputs are re-encoded pixels without EXIF, XMP or GPS, so no location or camera "
        "details leak into files meant to be shared.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Rendition:
        if self.width is None and self.height is None:
            raise ValueError("give `width`, `height` or both")
        if self.fit in (Fit.COVER, Fit.FILL) and (self.width is None or self.height is None):
            raise ValueError(f"fit `{self.fit}` needs both `width` and `height`")
        if self.gravity is not Gravity.CENTER and self.fit is not Fit.COVER:
            raise ValueError("`gravity` applies only to fit `cover`")
        if self.quality is not None and self.format is OutputFormat.PNG:
            raise ValueError("`quality` does not apply to `png` (lossless)")
        return self

    @property
    def box(self) -> tuple[int, int]:
        """The box in px; a missing side is bounded by MAX_SIDE only."""
        return self.width or MAX_SIDE, self.height or MAX_SIDE

    @property
    def budget_pixels(self) -> int:
        """The pixels the recipe limit counts for it: the box, a missing side counted as long as the given one."""
        width, height = self.width or self.height, self.height or self.width
        assert width is not None and height is not None
        return width * height

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def encoder_quality(self) -> int | None:
        return self.quality if self.quality is not None else DEFAULT_QUALITY[self.format]


def recipe_problems(renditions: Sequence[Rendition], *, max_outputs: int, max_pixels: int) -> list[str]:
    """Why a list of renditions is not an acceptable recipe (empty: it is): count, unique names, total pixels."""
    problems: list[str] = []
    if not renditions:
        problems.append("give at least one output")
    if len(renditions) > max_outputs:
        problems.append(f"at most {max_outputs} outputs per job, not {len(renditions)}")
    names = [r.name for r in renditions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"output names must be unique; repeated: {', '.join(duplicates)}")
    total = sum(r.budget_pixels for r in renditions)
    if total > max_pixels:
        problems.append(
            f"the outputs add up to {total} px (width x height, a missing side counted as the given one); "
            f"the limit is {max_pixels}"
        )
    return problems
