"""PNG pixel decoding: libspng (through imagecodecs) where it gives Pillow's exact pixels, Pillow everywhere else.

Pillow inflates PNG data with the system zlib; libspng decodes the same 12 MP photo in about two thirds of the CPU
time (bench/README.md, section 1b), with the GIL released (the worker decodes on two threads) and with every
chunk's CRC and zlib's Adler-32 checked, as strictly as Pillow. Only the plain cases go that way: 8-bit grey or
RGB, with or without alpha (grey+alpha is not one of imagecodecs' libspng formats), interlaced or not, one frame.
Palette, 1/2/4/16-bit, grey+alpha, tRNS transparency and animated PNGs keep Pillow's decoder, whose conversions the
rest of the stage was built on; so does any file libspng rejects, and Pillow raises on it as it always did.
"""

from __future__ import annotations

import struct

import imagecodecs
import numpy as np
from PIL import Image, PngImagePlugin

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow modes libspng reproduces exactly, with the channels it returns for them.
_CHANNELS = {"L": 1, "RGB": 3, "RGBA": 4}
# Pillow stores 1 (L) or 4 bytes per pixel; numpy holds what libspng returns. RGBA and L share numpy's buffer,
# RGB needs a copy into Pillow's layout.
_SHARED = frozenset({"L", "RGBA"})
# Chunks that can carry the EXIF orientation (eXIf, XMP in iTXt, ImageMagick's "Raw profile type exif" text).
# Pillow reads them after the pixel data only when it decodes the pixels itself.
_ORIENTATION_CHUNKS = frozenset({b"eXIf", b"iTXt", b"tEXt", b"zTXt"})


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
            pixels: np.ndarray = imagecodecs.spng_decode(data)
        except imagecodecs.SpngError:
            pass  # Pillow decodes it, or says why it cannot (the same damage: CRC, zlib stream, truncation)
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
