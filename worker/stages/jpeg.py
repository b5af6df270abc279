"""Strict JPEG pixel decoding: damaged scan data is an error, not a grey picture.

libjpeg reports a scan that ends early ("premature end of data segment", e.g. a file cut short with its EOI marker
re-appended, or a header that claims more pixels than the data holds) as a *warning*, fills the rest with grey and
carries on. Pillow's decoder discards libjpeg's warnings and has no strict mode, so such files used to complete.
simplejpeg runs the same libjpeg-turbo with TurboJPEG's stop-on-warning flag (strict=True): one decode, at the same
reduced DCT scale Pillow's draft() would use; a warning that the scan data is damaged raises. Trailing data after
EOI (phone motion photos, MPF secondary images) is never read, so it is no warning.
"""

from __future__ import annotations

import re

import simplejpeg
from PIL import Image, ImageFile

# libjpeg's warnings (jerror.h) that mean the entropy-coded data itself is damaged: JWRN_HIT_MARKER, JWRN_JPEG_EOF,
# JWRN_HUFF_BAD_CODE, JWRN_ARITH_BAD_CODE, JWRN_MUST_RESYNC, and JWRN_EXTRANEOUS_DATA before a restart marker (a
# restart interval holding more data than its blocks need). Other warnings are about headers and padding (an unknown
# JFIF revision, a bad ICC marker, an unknown Adobe transform, stray bytes before EOI or between segments): the
# pixels are whole and viewers show them, so those files decode as before.
_DAMAGED = re.compile(
    r"premature end of (data segment|jpeg file)|bad (huffman|arithmetic) code|instead of rst"
    r"|extraneous bytes before marker 0xd[0-7]\b",
    re.IGNORECASE,
)

# Pillow's JPEG mode -> the TurboJPEG output that holds the same samples.
_COLORSPACE = {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}


def _draft_scale(size: tuple[int, int], wanted: tuple[int, int]) -> int:
    """The DCT scale denominator Pillow's draft() picks (1, 2, 4 or 8): TurboJPEG also offers n/8 scales, but the
    thumbnail quality figures in bench/README.md were measured on these."""
    ratio = min(size[0] // wanted[0], size[1] // wanted[1])
    return next((scale for scale in (8, 4, 2) if ratio >= scale), 1)


def decode_jpeg(data: bytes, header: ImageFile.ImageFile, size: tuple[int, int] | None) -> Image.Image:
    """The pixels of the JPEG `data`, whose header Pillow has opened as `header`, scaled down in the DCT domain to
    the smallest size that still covers `size` (None: full size). Raises ValueError if libjpeg warns."""
    mode = header.mode
    colorspace = _COLORSPACE.get(mode)
    if colorspace is None:  # Pillow opens every JPEG as L, RGB or CMYK; anything else is not one it can decode
        raise ValueError(f"unexpected JPEG mode {mode}")
    scale = _draft_scale(header.size, size) if size else 1
    scaled = scale > 1
    # The smallest TurboJPEG scale reaching these minimums is exactly 1/scale.
    width, height = (-(-header.size[0] // scale), -(-header.size[1] // scale))
    options = {
        "colorspace": colorspace,
        # As Pillow's draft(): the fast IDCT and plain upsampling when the output is reduced anyway.
        "fastdct": scaled,
        "fastupsample": scaled,
        "min_width": width,
        "min_height": height,
    }
    try:
        pixels = simplejpeg.decode_jpeg(data, strict=True, **options)
    except ValueError as exc:
        if _DAMAGED.search(str(exc)):
            raise
        # A warning about headers or padding, or a real error (which Pillow raises again). TurboJPEG cannot go on
        # after a warning (simplejpeg's strict=False still stops at header warnings), so these rare files are
        # decoded by Pillow, as all JPEGs were before: twice, and damage after such a warning goes unseen.
        if size:
            header.draft(None, size)
        header.load()
        return header
    decoded_size = (int(pixels.shape[1]), int(pixels.shape[0]))
    # Adobe CMYK JPEGs store inverted samples: Pillow's own raw mode for this file says which ("CMYK;I" or "CMYK").
    args = header.tile[0].args if header.tile else None
    rawmode = str(args[0]) if mode == "CMYK" and isinstance(args, tuple) and args else mode
    # One copy into Pillow's layout (4 bytes per RGB pixel), as Pillow's own decoder makes line by line.
    return Image.frombuffer(mode, decoded_size, pixels, "raw", rawmode, 0, 1)
