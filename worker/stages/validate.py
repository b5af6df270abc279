"""Identify an upload's format from its bytes and decode it safely (bomb guard, full load, format allow-list)."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import pillow_heif
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from core.config import Settings
from core.errors import CorruptImageError, EmptyUploadError, ImageTooLargeError, UnsupportedFormatError
from core.formats import sniff_format
from worker.imaging import upright_size
from worker.stages.jpeg import decode_jpeg
from worker.stages.png import decode_png

# HEIF (HEIC) opens through pillow-heif's Pillow plugin; AVIF, WebP and TIFF are Pillow's own. An iPhone's depth
# map and other auxiliary images are never used: not even listed.
pillow_heif.register_heif_opener(depth_images=False, aux_images=False)


@dataclass
class DecodedImage:
    image: Image.Image  # fully loaded; possibly reduced (JPEG draft decoding, PNG decoded through libvips resize)
    format: str
    mode: str  # the source's mode, before any draft/conversion
    width: int  # the source's stored size, before draft reduction
    height: int
    exif_orientation: int | None
    frames: int = 1  # frames, pages or images in the file
    frame_used: int = 0  # the one decoded: the first, or HEIF's primary image
    # HEIF's decoder turns the pixels upright itself (the container's rotation, which the EXIF tag mirrors).
    orientation_applied: bool = False

    @property
    def pending_orientation(self) -> int | None:
        """The EXIF orientation still to apply to `image`."""
        return None if self.orientation_applied else self.exif_orientation

    @property
    def pixels_size(self) -> tuple[int, int]:
        """The size of `image` before any draft reduction: the stored size, or the upright one once applied."""
        size = (self.width, self.height)
        return upright_size(size, self.exif_orientation) if self.orientation_applied else size


def _draft_size(width: int, height: int, longest: int) -> tuple[int, int] | None:
    """The smallest size that still covers `longest` on the long side, for JPEG's DCT-domain downscaling."""
    ratio = longest / max(width, height)
    if ratio >= 1:
        return None
    return max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))


# The longest side the caller needs, from the stored size and EXIF orientation (worker/stages/renditions.py).
LongestNeeded = Callable[[tuple[int, int], int | None], int]
# The stored-orientation size the caller's first resize makes, from the same (renditions.first_size).
FirstSize = Callable[[tuple[int, int], int | None], tuple[int, int]]


def decode(
    data: bytes,
    settings: Settings,
    *,
    longest_needed: int | LongestNeeded | None = None,
    first_size: FirstSize | None = None,
) -> DecodedImage:
    """Decode `data` once. `longest_needed` lets JPEGs decode at a reduced scale that still covers that size;
    `first_size` lets plain PNGs decode straight to the size of the caller's first resize."""
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
            frames, frame_used = getattr(opened, "n_frames", 1), opened.tell()
            applied = fmt == "HEIF"
            image: Image.Image = opened
            if applied:
                # pillow-heif reports the upright size and resets the tag to 1; the file's own tag is kept aside.
                orientation = opened.info.get("original_orientation")
                width, height = upright_size((width, height), orientation)
                opened.load()
            elif fmt == "JPEG":
                # EXIF sits before the scan data (cheap to read first) and the decode scale depends on it.
                orientation = opened.getexif().get(0x0112)
                # Pillow would decode damaged scan data without complaint (libjpeg only warns): see jpeg.py.
                longest = longest_needed((width, height), orientation) if callable(longest_needed) else longest_needed
                size = _draft_size(width, height, longest) if longest else None
                image = decode_jpeg(data, opened, size)
            elif isinstance(opened, PngImagePlugin.PngImageFile):
                # libvips for plain PNGs, streamed to the first resize's size (png.py). Its EXIF comes from there:
                # Pillow's getexif() on a PNG decodes every pixel to look for a late chunk.
                stored = (width, height)
                image, exif = decode_png(
                    data, opened, lambda orientation: first_size(stored, orientation) if first_size else None
                )
                orientation = exif.get(0x0112)
            else:
                # A full load, not verify(): verify() misses truncated files.
                opened.load()
                orientation = opened.getexif().get(0x0112)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_large from None
        # RuntimeError: Pillow's AVIF decoder reports damaged AV1 data with it (so does libheif for rare errors).
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError) as exc:
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
        frames=frames,
        frame_used=frame_used,
        orientation_applied=applied,
    )
