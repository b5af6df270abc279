"""Identify an upload's format from its bytes and decode it safely (bomb guard, full load, format allow-list)."""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from core.config import Settings
from core.errors import CorruptImageError, EmptyUploadError, ImageTooLargeError, UnsupportedFormatError
from core.formats import sniff_format
from worker.stages.jpeg import decode_jpeg
from worker.stages.png import decode_png


@dataclass
class DecodedImage:
    image: Image.Image  # fully loaded; possibly reduced by JPEG draft decoding
    format: str
    mode: str  # the source's mode, before any draft/conversion
    width: int  # the source's stored size, before draft reduction
    height: int
    exif_orientation: int | None


def _draft_size(width: int, height: int, longest: int) -> tuple[int, int] | None:
    """The smallest size that still covers `longest` on the long side, for JPEG's DCT-domain downscaling."""
    ratio = longest / max(width, height)
    if ratio >= 1:
        return None
    return max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))


def decode(data: bytes, settings: Settings, *, longest_needed: int | None = None) -> DecodedImage:
    """Decode `data` once. `longest_needed` lets JPEGs decode at a reduced scale that still covers that size."""
    if not data:
        raise EmptyUploadError("The upload is empty (0 bytes).")
    fmt = sniff_format(data)
    accepted = settings.accepted_formats
    if fmt is None or fmt not in accepted:
        found = f"a {fmt} image" if fmt else "not an image format we recognise"
        raise UnsupportedFormatError(
            f"The upload is {found}; accepted formats are {', '.join(accepted)} (checked from the file's bytes).",
            details={"detected": fmt, "accepted": accepted},
        )
    # Pillow's bomb limit is process-wide; every thread sets the same value from the same settings.
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    too_large = ImageTooLargeError(
        f"The image has more than {settings.max_image_pixels} pixels, the most this service decodes."
    )
    with warnings.catch_warnings():
        # Between 1x and 2x the limit Pillow only warns; we refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = opened.size
            if width * height > settings.max_image_pixels:
                raise too_large
            mode = opened.mode
            image: Image.Image = opened
            if fmt == "JPEG":
                # Pillow would decode damaged scan data without complaint (libjpeg only warns): see jpeg.py.
                size = _draft_size(width, height, longest_needed) if longest_needed else None
                image = decode_jpeg(data, opened, size)
                exif = opened.getexif()
            elif isinstance(opened, PngImagePlugin.PngImageFile):
                # libspng where it is exact (png.py); its buffers may use what the largest RGBA decode would.
                image, exif = decode_png(data, opened, max_bytes=settings.max_image_pixels * 4)
            else:
                # A full load, not verify(): verify() misses truncated files.
                opened.load()
                exif = opened.getexif()
            orientation = exif.get(0x0112)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_large from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            # Pillow's "cannot identify" message embeds an object repr: say what it means instead.
            reason = "its header is invalid" if isinstance(exc, UnidentifiedImageError) else str(exc)
            raise CorruptImageError(
                f"The file looks like {fmt} but cannot be decoded ({reason}); it may be truncated or damaged.",
            ) from None
    return DecodedImage(
        image=image,
        format=fmt,
        mode=mode,
        width=width,
        height=height,
        exif_orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
    )
