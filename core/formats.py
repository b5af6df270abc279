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
# HEIF and AVIF are both ISO base media files: an `ftyp` box first, whose major and compatible brands name the
# codec. AVIF files often carry the generic HEIF brands too (`mif1`), so AVIF's own brands are looked for first.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
# Enough leading bytes for every signature above: WebP's sits at offset 8, and an `ftyp` box lists its compatible
# brands from offset 16 (an iPhone's lists 4, up to byte 36).
HEAD_BYTES = 64


def _ftyp_brands(data: bytes) -> list[bytes]:
    """The major and compatible brands of a leading `ftyp` box, as far as `data` holds them."""
    if data[4:8] != b"ftyp":
        return []
    end = min(int.from_bytes(data[:4], "big"), len(data))
    return [data[8:12], *(data[i : i + 4] for i in range(16, end - 3, 4))]


def sniff_format(data: bytes) -> str | None:
    """Pillow's format name for the bytes' signature, or None. Never looks at names or declared types."""
    for magic, name in _SIGNATURES:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    brands = _ftyp_brands(data)
    if _AVIF_BRANDS.intersection(brands):
        return "AVIF"
    if _HEIF_BRANDS.intersection(brands):
        return "HEIF"
    return None
