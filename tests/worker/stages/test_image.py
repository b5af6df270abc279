"""The image stage as a plain function: formats, orientation, modes, and inputs that must fail cleanly."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from core.config import Settings
from core.errors import CorruptImageError, EmptyUploadError, ImageTooLargeError, UnsupportedFormatError
from core.formats import sniff_format
from harness.images import encode, jpeg, photo, png
from worker.stages.image import process_image
from worker.stages.validate import decode

SETTINGS = Settings()


def _sizes(data: bytes) -> dict[str, tuple[int, int]]:
    return {r.name: (r.width, r.height) for r in process_image(data, SETTINGS).renditions}


def test_jpeg_renditions_have_the_configured_longest_sides() -> None:
    outcome = process_image(jpeg(4000, 3000), SETTINGS)
    assert {r.name: (r.width, r.height) for r in outcome.renditions} == {
        "thumb-1024.jpg": (1024, 768),
        "thumb-512.jpg": (512, 384),
        "thumb-128.jpg": (128, 96),
        "processed.webp": (1024, 768),
    }
    for r in outcome.renditions:
        decoded = Image.open(io.BytesIO(r.data))
        assert decoded.size == (r.width, r.height)
        assert decoded.format == ("WEBP" if r.name.endswith("webp") else "JPEG")
        assert "exif" not in decoded.info  # outputs carry no EXIF (GPS etc.)
    assert (outcome.metadata.width, outcome.metadata.height, outcome.metadata.bytes) == (
        4000,
        3000,
        outcome.metadata.bytes,
    )


def test_jpeg_is_draft_decoded_but_still_covers_the_largest_output() -> None:
    decoded = decode(jpeg(4000, 3000), SETTINGS, longest_needed=1024)
    assert decoded.image.size == (2000, 1500)  # DCT-domain 1/2 scale: still >= 1024 on the long side
    assert (decoded.width, decoded.height) == (4000, 3000)  # metadata reports the real size


@pytest.mark.parametrize(
    ("orientation", "upright"), [(1, (1024, 768)), (3, (1024, 768)), (6, (768, 1024)), (8, (768, 1024))]
)
def test_exif_orientation_is_applied(orientation: int, upright: tuple[int, int]) -> None:
    data = jpeg(2000, 1500, orientation=orientation)
    outcome = process_image(data, SETTINGS)
    assert outcome.metadata.exif_orientation == orientation
    assert (outcome.metadata.upright_width, outcome.metadata.upright_height) == (
        (1500, 2000) if orientation in (6, 8) else (2000, 1500)
    )
    assert _sizes(data)["thumb-1024.jpg"] == upright


def test_rotation_direction_is_right() -> None:
    # A white image with a red top edge; orientation 6 means "rotate 90 degrees clockwise to display".
    image = Image.new("RGB", (400, 200), "white")
    image.paste((255, 0, 0), (0, 0, 400, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    outcome = process_image(encode(image, "JPEG", exif=exif.tobytes(), quality=95), SETTINGS)
    thumb = Image.open(io.BytesIO(outcome.renditions[0].data)).convert("RGB")
    assert thumb.size == (200, 400)
    right_edge = thumb.getpixel((thumb.width - 3, thumb.height // 2))
    assert isinstance(right_edge, tuple) and right_edge[0] > 200 and right_edge[1] < 80


def test_small_images_are_not_upscaled() -> None:
    assert set(_sizes(png(50, 40)).values()) == {(50, 40)}


@pytest.mark.parametrize(
    ("data", "mode"),
    [
        (png(300, 200, "RGBA"), "RGBA"),
        (png(300, 200, "LA"), "LA"),
        (encode(photo(300, 200).convert("P", palette=Image.Palette.ADAPTIVE), "PNG", transparency=0), "P"),
        (encode(photo(300, 200).convert("CMYK"), "JPEG"), "CMYK"),
        (encode(photo(300, 200).convert("L"), "JPEG"), "L"),
        (encode(photo(300, 200).convert("I;16"), "PNG"), "I;16"),
        (encode(photo(300, 200).convert("1"), "PNG"), "1"),
    ],
)
def test_unusual_modes_are_normalised(data: bytes, mode: str) -> None:
    outcome = process_image(data, SETTINGS)
    assert outcome.metadata.mode == mode
    for r in outcome.renditions:
        image = Image.open(io.BytesIO(r.data))
        image.load()
        assert image.size == (r.width, r.height)
        assert image.mode in ("RGB", "RGBA", "L")
    assert outcome.renditions[0].width == 300


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    gradient = Image.linear_gradient("L").resize((256, 64)).convert("I").point(lambda v: v * 256).convert("I;16")
    outcome = process_image(encode(gradient, "PNG"), SETTINGS)
    thumb = Image.open(io.BytesIO(outcome.renditions[0].data)).convert("L")
    assert thumb.getextrema()[1] > 200 and thumb.getextrema()[0] < 50


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb is only ever decoded lazily)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(bytes(64 * 1024)))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", EmptyUploadError, "empty_upload"),
        (b"hello world", UnsupportedFormatError, "unsupported_format"),
        (encode(photo(20, 20), "GIF"), UnsupportedFormatError, "unsupported_format"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", UnsupportedFormatError, "unsupported_format"),
        (jpeg(400, 300)[:-2000], CorruptImageError, "corrupt_image"),
        (png(400, 300)[:500], CorruptImageError, "corrupt_image"),
        (_png_bomb(65000, 65000), ImageTooLargeError, "image_too_large"),
        (_png_bomb(11000, 10000), ImageTooLargeError, "image_too_large"),  # 1.1x the limit: a warning in Pillow
    ],
    ids=["empty", "text", "gif", "svg", "truncated-jpeg", "truncated-png", "65000-square", "just-over-limit"],
)
def test_bad_inputs_fail_with_specific_codes(data: bytes, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as raised:
        process_image(data, SETTINGS)
    assert getattr(raised.value, "code", None) == code


def test_format_is_identified_from_bytes_only() -> None:
    assert sniff_format(png(4, 4)) == "PNG"
    assert sniff_format(jpeg(4, 4)) == "JPEG"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"%PDF-1.7") is None


def test_accepted_formats_are_configurable() -> None:
    gif = encode(photo(64, 48), "GIF")
    with pytest.raises(UnsupportedFormatError):
        process_image(gif, SETTINGS)
    outcome = process_image(gif, Settings(accepted_formats=["PNG", "JPEG", "GIF"]))
    assert outcome.metadata.format == "GIF"
    with pytest.raises(UnsupportedFormatError):
        process_image(encode(photo(64, 48), "WEBP"), Settings(accepted_formats=["PNG", "JPEG"]))
