"""Rendering a recipe: every rendition of a decoded image from one decode, each derived from the best intermediate.

The fast path of the thumbnails, generalised (bench/README.md has the figures): the image is decoded once at the
smallest scale that serves the largest rendition (JPEG DCT scaling; plain PNGs straight to the first step's size,
first_size()), reduced once in bands to the largest size any rendition needs and turned upright there, and then
every rendition is resized from the smallest full-frame image made so far that is still large enough: a 128 px
thumbnail from the 512 px one, not from the 12 MP source (whole-frame reductions by libvips, worker/stages/vips.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from core.analysis import BoundingBox
from core.errors import RenditionFailedError
from core.recipes import Fit, Gravity, OutputFormat, Rendition
from worker.crop import crop_box
from worker.imaging import normalize_mode, upright, upright_size
from worker.stages import vips
from worker.stages.encode import encode_rendition
from worker.stages.thumbnails import _REDUCING_GAP, _RESAMPLE, _first_step


@dataclass(frozen=True)
class RenderedOutput:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int
    crop_note: str | None = None  # why a smart crop was placed otherwise than asked (worker/crop.py)


# Finds the faces in the upright analysis image (ratios of it); None when no detector ran.
FindFaces = Callable[[Image.Image], Sequence[BoundingBox] | None]


def fitted_box(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The size of `size` scaled, aspect kept, to touch the inside of `box` (up or down), rounded as
    Image.thumbnail() rounds: the side that touches is exact, the other the closest to the source's aspect."""
    width, height = size
    box_w, box_h = box
    aspect = width / height

    def closest(exact: float, error: Callable[[int], float]) -> int:
        return max(min(math.floor(exact), math.ceil(exact), key=error), 1)

    if box_w / box_h >= aspect:
        return closest(box_h * aspect, lambda n: abs(aspect - n / box_h)), box_h
    return box_w, closest(box_w / aspect, lambda n: abs(aspect - box_w / n) if n else math.inf)


def output_size(displayed: tuple[int, int], rendition: Rendition) -> tuple[int, int]:
    """The pixel size of `rendition` made from an upright image of size `displayed`."""
    box = rendition.box
    if rendition.fit in (Fit.COVER, Fit.FILL):
        return box
    if rendition.fit is Fit.INSIDE and displayed[0] <= box[0] and displayed[1] <= box[1]:
        return displayed  # never enlarged
    return fitted_box(displayed, box)


def _scale(displayed: tuple[int, int], size: tuple[int, int]) -> float:
    """How much of the source's resolution an output of `size` needs (cover: the cropped side decides)."""
    return max(size[0] / displayed[0], size[1] / displayed[1])


def longest_needed(
    stored: tuple[int, int], orientation: int | None, renditions: Sequence[Rendition], analysis_side: int
) -> int:
    """The longest side a decode of a `stored`-size image must keep to serve every rendition and the analysis: JPEG
    draft decoding goes no smaller."""
    displayed = upright_size(stored, orientation)
    sizes = [output_size(displayed, r) for r in [*renditions, _analysis(analysis_side)]]
    return math.ceil(max(stored) * min(1.0, max(_scale(displayed, size) for size in sizes)))


def _analysis(side: int) -> Rendition:
    """What the analysis looks at, as a rendition that is never encoded: the upright image inside side x side."""
    return Rendition(name="analysis", width=side, height=side, format=OutputFormat.PNG)


# (scale of the source needed, rendition, output size), largest scale first.
_Need = tuple[float, Rendition, tuple[int, int]]


def _needs(displayed: tuple[int, int], renditions: Sequence[Rendition], analysis: Rendition) -> list[_Need]:
    sized = [(r, output_size(displayed, r)) for r in [*renditions, analysis]]
    needs = [(_scale(displayed, size), r, size) for r, size in sized]
    return sorted(needs, key=lambda need: need[0], reverse=True)


def _first_size(displayed: tuple[int, int], needs: list[_Need]) -> tuple[int, int]:
    """The upright size of the first, largest full-frame image: exactly the largest full-frame output when that one
    decides (no second resize for it: the default recipe's 1024 thumbnail), else the source scaled by the largest
    need."""
    top_scale, top, top_size = needs[0]
    if top_scale >= 1:
        return displayed
    if top.fit in (Fit.INSIDE, Fit.CONTAIN):
        return top_size
    return max(1, math.ceil(displayed[0] * top_scale)), max(1, math.ceil(displayed[1] * top_scale))


def first_size(
    stored: tuple[int, int], orientation: int | None, renditions: Sequence[Rendition], analysis_side: int
) -> tuple[int, int]:
    """The stored-orientation size render_recipe's first step makes of a `stored`-size image: a PNG decoder that
    resizes to it leaves that step nothing to do."""
    displayed = upright_size(stored, orientation)
    size = _first_size(displayed, _needs(displayed, renditions, _analysis(analysis_side)))
    return upright_size(size, orientation)


def _usable(image: Image.Image, displayed: tuple[int, int], scale: float) -> bool:
    # One pixel of slack: output sizes are rounded, a part-pixel short is no visible upscale.
    return image.width + 1 >= displayed[0] * scale and image.height + 1 >= displayed[1] * scale


def _resized(image: Image.Image, size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> Image.Image:
    if box is None and size == image.size:
        return image
    # Whole-frame reductions by libvips' lanczos3 (half Pillow's CPU); crops and enlargements by Pillow.
    reduced = vips.reduced(image, size) if box is None else None
    return reduced if reduced is not None else image.resize(size, _RESAMPLE, box=box, reducing_gap=_REDUCING_GAP)


def _first(image: Image.Image, orientation: int | None, size: tuple[int, int]) -> Image.Image:
    """The decoded image at the (upright) `size`: reduced in bands, then turned upright once, at the cheapest point."""
    stored = upright_size(size, orientation)  # the stored size: a swap undoes itself
    step = normalize_mode(image) if stored == image.size else _first_step(image, stored)
    return upright(step, orientation)


def render_recipe(
    image: Image.Image,
    orientation: int | None,
    renditions: Sequence[Rendition],
    *,
    source_size: tuple[int, int] | None = None,
    analysis_side: int,
    find_faces: FindFaces | None = None,
) -> tuple[list[RenderedOutput], Image.Image]:
    """Every rendition of a decoded image, in the recipe's order, plus the upright image the analysis looks at
    (fitted inside `analysis_side`). Sizes are computed from `source_size` (the stored size before draft decoding),
    so outputs are as large as on the full source, not off by a pixel from the draft's rounding.

    Any rendition that cannot be made raises RenditionFailedError: a job gets all its outputs or none. Renditions
    cropped around faces come last: `find_faces` looks at the analysis image once, when the others are made.
    """
    displayed = upright_size(source_size or image.size, orientation)
    analysis = _analysis(analysis_side)
    needs = _needs(displayed, renditions, analysis)
    full_frames = [_first(image, orientation, _first_size(displayed, needs))]

    made: dict[str, tuple[tuple[int, int], bytes]] = {}
    notes: dict[str, str] = {}
    analysed: Image.Image | None = None
    around_faces = [need for need in needs if need[1].fit is Fit.COVER and need[1].gravity is Gravity.FACES]
    faces: Sequence[BoundingBox] | None = None
    for scale, rendition, size in [need for need in needs if need not in around_faces] + around_faces:
        if around_faces and rendition is around_faces[0][1]:
            assert analysed is not None  # every other need, the analysis image included, came first
            faces = find_faces(analysed) if find_faces is not None else None
        # Never more than the source has: an enlarged rendition starts from the full-resolution image.
        source = min((f for f in full_frames if _usable(f, displayed, min(scale, 1.0))), key=lambda f: f.width)
        try:
            if rendition.fit is Fit.COVER:
                crop = crop_box(source, size[0], size[1], rendition.gravity, faces=faces)
                if crop.note:
                    notes[rendition.name] = crop.note
                pixels = _resized(source, size, box=crop.box)
            else:
                pixels = _resized(source, size)
                if rendition.fit is not Fit.FILL and pixels is not source:
                    full_frames.append(pixels)  # a smaller full-frame image the next renditions can start from
            if rendition is analysis:
                analysed = pixels
                continue
            made[rendition.name] = pixels.size, encode_rendition(pixels, rendition)
        except MemoryError:
            raise  # the worker's state, not the job's: left to the retry path
        except Exception as exc:  # an encoder's refusal, a crop that failed: the job fails, with no partial result
            raise RenditionFailedError(
                f"The output {rendition.name!r} ({rendition.format}, {size[0]}x{size[1]}) could not be made: {exc}"
            ) from exc
    assert analysed is not None
    outputs = [
        RenderedOutput(r.name, r.content_type, made[r.name][1], *made[r.name][0], crop_note=notes.get(r.name))
        for r in renditions
    ]
    return outputs, analysed
