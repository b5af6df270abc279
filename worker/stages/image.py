"""The image stage: bytes in -> validated, metadata, renditions. A plain function, testable without AWS."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from core.analysis import BoundingBox
from core.config import Settings
from core.jobs import ImageMetadata
from core.recipes import Rendition
from worker.stages.fingerprints import fingerprints, sha256_hex
from worker.stages.metadata import extract_metadata
from worker.stages.renditions import RenderedOutput, first_size, longest_needed, render_recipe
from worker.stages.validate import decode


@dataclass
class ImageOutcome:
    metadata: ImageMetadata
    renditions: list[RenderedOutput]
    upright: Image.Image  # the upright image the text/label analysis looks at


def process_image(
    data: bytes,
    settings: Settings,
    recipe: Sequence[Rendition] | None = None,
    *,
    find_faces: Callable[[Image.Image, ImageMetadata], Sequence[BoundingBox] | None] | None = None,
) -> ImageOutcome:
    """Decode `data` once and render `recipe` (None: the `default` preset, today's thumbnails and WebP). `find_faces` is
    asked, once, for the faces of the upright analysis image when a rendition crops around them."""
    renditions = list(recipe) if recipe is not None else settings.recipes["default"]
    # The analysis sees what it saw before recipes: the image inside the default recipe's longest side.
    analysis_side = max(*settings.thumbnail_sizes, settings.processed_max_side)
    decoded = decode(
        data,
        settings,
        longest_needed=lambda size, orientation: longest_needed(size, orientation, renditions, analysis_side),
        first_size=lambda size, orientation: first_size(size, orientation, renditions, analysis_side),
    )
    described: list[ImageMetadata] = []

    def metadata_of(upright: Image.Image) -> ImageMetadata:
        if not described:  # once, from the upright analysis image, whether faces asked for it first or not
            digest = sha256_hex(data)
            described.append(extract_metadata(decoded, len(data), sha256=digest, prints=fingerprints(upright)))
        return described[0]

    def faces_of(upright: Image.Image) -> Sequence[BoundingBox] | None:
        assert find_faces is not None
        return find_faces(upright, metadata_of(upright))

    # HEIF decoders turn the pixels upright themselves: only the orientation still pending is applied here.
    outputs, upright = render_recipe(
        decoded.image,
        decoded.pending_orientation,
        renditions,
        source_size=decoded.pixels_size,
        analysis_side=analysis_side,
        find_faces=faces_of if find_faces is not None else None,
    )
    return ImageOutcome(metadata=metadata_of(upright), renditions=outputs, upright=upright)
