"""PNG pixel decoding: libvips for plain PNGs, streamed through its resize to the size the recipe's first step needs;
Pillow everywhere else.

libvips (pyvips-binary: libpng on zlib-ng) inflates a 12 MP photo's PNG in about two thirds of zlib 1.2.13's time,
and its resize runs on the rows as they stream in (`access="sequential"`: a few rows held, never the full image),
so what reaches Pillow is already the first rendition's size, as JPEG's DCT-scaled decode is (bench/README.md, 1b).
libvips' settings (one thread per call, no cache, no loader but this one): worker/stages/vips.py.

Only the plain cases go that way: 8-bit grey, RGB or RGBA, interlaced or not, one frame, no tRNS. Palette,
1/2/4/16-bit, grey+alpha, tRNS transparency and animated PNGs keep Pillow's decoder, whose conversions the rest of
the stage was built on. For the plain ones libvips is the judge of damage: with `fail_on="error"` every chunk's CRC
and zlib's Adler-32 are checked, and a truncated stream is an error (Pillow skips IDAT CRCs: a file whose only damage
is there used to complete). Its error is raised while the pixels are computed, so it is caught there.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pyvips
from PIL import Image, PngImagePlugin

from worker.stages.vips import BANDS, resized, to_pillow

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that can carry the EXIF orientation (eXIf, XMP in iTXt, ImageMagick's "Raw profile type exif" text).
# Pillow reads them after the pixel data only when it decodes the pixels itself.
_ORIENTATION_CHUNKS = frozenset({b"eXIf", b"iTXt", b"tEXt", b"zTXt"})


class DamagedPngError(ValueError):
    """libvips could not decode the pixels of a PNG whose header Pillow read (the message says why)."""


def _plain(data: bytes) -> bool:
    """Whether `data` is a single-image PNG whose chunks run to IEND, with nothing that could change the EXIF
    orientation after its pixel data (Pillow would read that only while decoding)."""
    if not data.startswith(_SIGNATURE):
        return False
    pos, seen_idat = len(_SIGNATURE), False
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        if kind == b"IEND":
            return True
        if kind == b"acTL":
            return False
        seen_idat = seen_idat or kind == b"IDAT"
        if seen_idat and kind in _ORIENTATION_CHUNKS:
            return False
        pos += 12 + length
    return False


def by_libvips(data: bytes, header: PngImagePlugin.PngImageFile) -> bool:
    """Whether libvips decodes this PNG (`header`: Pillow's open of it): the plain cases above."""
    # IHDR is always the first chunk: byte 24 is its bit depth (Pillow's mode L also covers 2- and 4-bit grey).
    eight_bit = len(data) > 24 and data[24] == 8
    return header.mode in BANDS and eight_bit and "transparency" not in header.info and _plain(data)


def decode_png(
    data: bytes, header: PngImagePlugin.PngImageFile, wanted: Callable[[int | None], tuple[int, int] | None]
) -> tuple[Image.Image, Image.Exif]:
    """The pixels of the PNG `data`, whose header Pillow has opened as `header`, and its EXIF. Plain PNGs are decoded
    by libvips at `wanted(orientation)`, the stored-orientation size of the recipe's first step (None, or larger
    than stored: as stored), and raise DamagedPngError if damaged. Others are decoded by Pillow, which raises on
    damage as before."""
    if not by_libvips(data, header):
        header.load()
        return header, header.getexif()
    # Image.getexif() of the header itself, not PngImageFile's, which would decode the pixels to look for an eXIf
    # chunk after them (_plain() made sure there is none).
    exif = Image.Image.getexif(header)
    size = wanted(exif.get(0x0112))
    mode = header.mode
    try:
        # A source over the upload's own bytes: pngload_buffer would first copy them (18 MB for a 12 MP photo).
        source = pyvips.Source.new_from_memory(data)
        image = pyvips.Image.pngload_source(source, fail_on="error", access="sequential")
        if image.bands != BANDS[mode] or image.format != "uchar":
            raise DamagedPngError(f"libvips read {image.bands} {image.format} bands for a {mode} PNG")
        if size is not None and size != header.size and size[0] <= image.width and size[1] <= image.height:
            image = resized(image, size)
        decoded = to_pillow(image, mode)  # libvips decodes (and resizes) here
    except pyvips.Error as exc:
        # The first line names the operation ("unable to write to memory"), the rest libpng's reason.
        reason = "; ".join(line.strip() for line in str(exc).splitlines()[1:] if line.strip()) or str(exc)
        raise DamagedPngError(reason) from None
    return decoded, exif
