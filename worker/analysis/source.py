"""What the analysis stage knows about the uploaded original, besides the decoded pixels it is handed."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from core.jobs import ImageMetadata

EXIF_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class SourceImage:
    """The original upload. `width`/`height` are of the upright image (after EXIF orientation)."""

    bucket: str
    key: str
    format: str  # Pillow's format name: "PNG", "JPEG", ...
    size_bytes: int
    width: int
    height: int
    data: bytes = field(repr=False)
    exif_orientation: int | None = None  # None: read from `data` when it matters

    @classmethod
    def from_upload(cls, bucket: str, key: str, data: bytes, metadata: ImageMetadata) -> SourceImage:
        """The upload at `bucket`/`key`, as the image stage described it."""
        return cls(
            bucket=bucket,
            key=key,
            format=metadata.format,
            size_bytes=len(data),
            width=metadata.upright_width,
            height=metadata.upright_height,
            data=data,
            exif_orientation=metadata.exif_orientation or 1,
        )

    def orientation(self) -> int:
        """The EXIF orientation (1 = upright as stored); 1 when absent or unreadable."""
        if self.exif_orientation is not None:
            return self.exif_orientation
        try:
            with Image.open(io.BytesIO(self.data)) as image:
                if image.format == "PNG":
                    # getexif() would decode the whole PNG to look past its pixels; a header eXIf chunk is enough.
                    exif = Image.Exif()
                    raw = image.info.get("exif")
                    if isinstance(raw, bytes):
                        exif.load(raw)
                else:
                    exif = image.getexif()
                value = exif.get(EXIF_ORIENTATION_TAG, 1)
        except (OSError, ValueError, SyntaxError):
            return 1
        return value if isinstance(value, int) and 1 <= value <= 8 else 1
