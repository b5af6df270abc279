"""Identifying an image format from its first bytes: the worker does it to every upload, the CLI before uploading."""

from __future__ import annotations

# Magic numbers of the formats we can name; anything else is "not an image we know".
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
# Enough leading bytes for every signature above (WebP's sits at offset 8).
HEAD_BYTES = 16


def sniff_format(data: bytes) -> str | None:
    """Pillow's format name for the bytes' signature, or None. Never looks at names or declared types."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None
