"""PNG pixel decoding: libspng (pyspng) where it gives Pillow's exact pixels, Pillow everywhere else.

Pillow inflates PNG data with the system zlib; libspng (inside pyspng's wheel) decodes the same 12 MP photo in about
two thirds of the CPU time (bench/README.md, image stage). Only the plain cases go that way: 8-bit grey or RGB, with
or without an alpha channel, interlaced or not, one frame. Palette, 1/2/4/16-bit, tRNS transparency and animated
PNGs keep Pillow's decoder, whose conversions the rest of the stage was built on.

libspng as pyspng configures it ignores chunk CRCs and zlib's Adler-32 checksum, so damage Pillow would catch could
decode silently: every chunk's CRC is checked here first (a few ms for 20 MB), and any file that is not a clean
sequence of chunks ending in IEND, or that libspng rejects, is handed to Pillow, which raises as it always did.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pyspng
from PIL import Image, PngImagePlugin

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow modes libspng reproduces exactly, with the channels pyspng returns for them.
_CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
# Pillow stores 1 (L) or 4 bytes per pixel; numpy holds what pyspng returns. RGBA and L share numpy's buffer,
# RGB and LA need a copy into Pillow's layout.
_SHARED = frozenset({"L", "RGBA"})
# Chunks that can carry the EXIF orientation (eXIf, XMP in iTXt, ImageMagick's "Raw profile type exif" text).
# Pillow reads them after the pixel data only when it decodes the pixels itself.
_ORIENTATION_CHUNKS = frozenset({b"eXIf", b"iTXt", b"tEXt", b"zTXt"})


def _plain(data: bytes) -> bool:
    """Whether `data` is a single-image PNG of intact chunks ending in IEND, with nothing that could change the
    EXIF orientation after its pixel data (Pillow would read that only while decoding)."""
    if not data.startswith(_SIGNATURE):
        return False
    view = memoryview(data)
    pos, seen_idat = len(_SIGNATURE), False
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        kind = data[pos + 4 : pos + 8]
        if end > len(data):
            return False
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[pos + 4 : end - 4]) != crc or kind == b"acTL":
            return False
        if kind == b"IEND":
            return True
        seen_idat = seen_idat or kind == b"IDAT"
        if seen_idat and kind in _ORIENTATION_CHUNKS:
            return False
        pos = end
    return False


def decode_png(data: bytes, header: PngImagePlugin.PngImageFile, max_bytes: int) -> tuple[Image.Image, Image.Exif]:
    """The pixels of the PNG `data`, whose header Pillow has opened as `header`, and its EXIF, decoded by libspng
    when that is exact and needs at most `max_bytes` of pixel buffers; otherwise by Pillow (which raises on
    damage as before)."""
    mode, (width, height) = header.mode, header.size
    channels = _CHANNELS.get(mode)
    # IHDR is always the first chunk: byte 24 is its bit depth (Pillow's mode L also covers 2- and 4-bit grey).
    eight_bit = len(data) > 24 and data[24] == 8
    needed = width * height * (channels or 0) + (0 if mode in _SHARED else width * height * 4)
    if channels and eight_bit and "transparency" not in header.info and needed <= max_bytes and _plain(data):
        try:
            pixels: np.ndarray = pyspng.load(data)
        except RuntimeError:
            pass  # Pillow decodes it, or says why it cannot
        else:
            if mode in _SHARED:
                image = Image.frombuffer(mode, (width, height), pixels, "raw", mode, 0, 1)
            else:
                image = Image.fromarray(pixels)
                del pixels
            # Image.getexif() of the header itself, not PngImageFile's, which would decode the pixels to look for
            # an eXIf chunk after them (_plain() made sure there is none).
            return image, Image.Image.getexif(header)
    header.load()
    return header, header.getexif()
