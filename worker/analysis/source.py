"""What the analysis stage knows about the uploaded original, besides the decoded pixels it is handed."""

from __future__ import annotations

from dataclasses import dataclass

from core.jobs import ImageMetadata


@dataclass(frozen=True)
class SourceImage:
    """The original upload. `width`/`height` are of the upright image (after EXIF orientation)."""

    bucket: str
    key: str
    format: str  # Pillow's format name: "PNG", "JPEG", ...
    size_bytes: int
    width: int
    height: int
    exif_orientation: int = 1  # 1 = upright as stored (also when the file has no orientation tag)

    @classmethod
    def from_upload(cls, bucket: str, key: str, metadata: ImageMetadata) -> SourceImage:
        """The upload at `bucket`/`key`, as the image stage described it (its EXIF already read there)."""
        return cls(
            bucket=bucket,
            key=key,
            format=metadata.format,
            size_bytes=metadata.bytes,
            width=metadata.upright_width,
            height=metadata.upright_height,
            exif_orientation=metadata.exif_orientation or 1,
        )
