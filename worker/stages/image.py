"""The image stage: bytes in -> validated, metadata, renditions. A plain function, testable without AWS."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from core.config import Settings
from core.jobs import ImageMetadata
from worker.stages.fingerprints import fingerprints, sha256_hex
from worker.stages.metadata import extract_metadata
from worker.stages.thumbnails import Rendition, render
from worker.stages.validate import decode


@dataclass
class ImageOutcome:
    metadata: ImageMetadata
    renditions: list[Rendition]
    upright: Image.Image  # the largest rendition's pixels, upright; what text/label analysis looks at


def process_image(data: bytes, settings: Settings, *, sha256: str | None = None) -> ImageOutcome:
    """`sha256`: the bytes' digest if the caller hashed them while reading them (else it is computed here)."""
    longest = max(*settings.thumbnail_sizes, settings.processed_max_side)
    decoded = decode(data, settings, longest_needed=longest)
    renditions, upright = render(decoded.image, decoded.pending_orientation, settings, source_size=decoded.pixels_size)
    metadata = extract_metadata(decoded, len(data), sha256=sha256 or sha256_hex([data]), prints=fingerprints(upright))
    return ImageOutcome(metadata=metadata, renditions=renditions, upright=upright)
