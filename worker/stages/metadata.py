"""What the job reports about the source image."""

from __future__ import annotations

from core.jobs import ImageMetadata
from worker.imaging import upright_size
from worker.stages.fingerprints import Fingerprints
from worker.stages.validate import DecodedImage


def extract_metadata(decoded: DecodedImage, size_bytes: int, *, sha256: str, prints: Fingerprints) -> ImageMetadata:
    upright_width, upright_height = upright_size((decoded.width, decoded.height), decoded.exif_orientation)
    return ImageMetadata(
        format=decoded.format,
        mode=decoded.mode,
        width=decoded.width,
        height=decoded.height,
        bytes=size_bytes,
        exif_orientation=decoded.exif_orientation,
        upright_width=upright_width,
        upright_height=upright_height,
        frames=decoded.frames,
        frame_used=decoded.frame_used,
        sha256=sha256,
        phash=prints.phash,
        placeholder=prints.placeholder,
        placeholder_kind="blurhash",
    )
