"""What the job reports about the source image."""

from __future__ import annotations

from core.jobs import ImageMetadata
from worker.stages.validate import DecodedImage

# EXIF orientations 5-8 turn the image by 90 degrees: width and height swap when displayed.
_SWAPS_SIDES = {5, 6, 7, 8}


def extract_metadata(decoded: DecodedImage, size_bytes: int) -> ImageMetadata:
    swapped = decoded.exif_orientation in _SWAPS_SIDES
    return ImageMetadata(
        format=decoded.format,
        mode=decoded.mode,
        width=decoded.width,
        height=decoded.height,
        bytes=size_bytes,
        exif_orientation=decoded.exif_orientation,
        upright_width=decoded.height if swapped else decoded.width,
        upright_height=decoded.width if swapped else decoded.height,
    )
