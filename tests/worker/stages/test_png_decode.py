"""Issue 16.6: plain PNGs are decoded by libvips, straight to the size of the recipe's first step, with pixels within a
few levels of Pillow's own path; anything else still goes to Pillow; damaged files fail `corrupt_image`."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from core.config import Settings
from core.errors import CorruptImageError, ImageTooLargeError
from harness.images import encode, photo
from worker.stages import png as png_module
from worker.stages.image import ImageOutcome, process_image
from worker.stages.validate import decode

SETTINGS = Settings()
# Adam7: (x start, y start, x step, y step) of each pass.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _interlaced(image: Image.Image) -> bytes:
    """An Adam7-interlaced 8-bit RGB PNG (Pillow cannot write one): each pass's rows with filter type 0."""
    pixels = np.asarray(image.convert("RGB"))
    raw = b"".join(
        b"".join(b"\x00" + row.tobytes() for row in pixels[y0::dy, x0::dx])
        for x0, y0, dx, dy in _ADAM7
        if pixels[y0::dy, x0::dx].size
    )
    ihdr = struct.pack(">IIBBBBB", image.width, image.height, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def _chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        yield data[pos + 4 : pos + 8], pos, length
        pos += 12 + length


def _damaged_idat(data: bytes, offset: int, *, fix_crc: bool, last: bool = False) -> bytes:
    """`data` with one bit of its first (or last) IDAT payload flipped, its CRC left stale or recomputed."""
    _, pos, length = [c for c in _chunks(data) if c[0] == b"IDAT"][-1 if last else 0]
    out = bytearray(data)
    out[pos + 8 + (offset % length)] ^= 0x01
    if fix_crc:
        struct.pack_into(">I", out, pos + 8 + length, zlib.crc32(bytes(out[pos + 4 : pos + 8 + length])))
    return bytes(out)


def _oriented(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "PNG", exif=exif.tobytes())


@pytest.fixture
def libvips_chosen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Which decoder png.py chose for each PNG the code under test decoded (True: libvips)."""
    chosen: list[bool] = []
    real = png_module.by_libvips

    def choose(data: bytes, header: PngImagePlugin.PngImageFile) -> bool:
        chosen.append(real(data, header))
        return chosen[-1]

    monkeypatch.setattr(png_module, "by_libvips", choose)
    return chosen


def _with_pillow_only(data: bytes, monkeypatch: pytest.MonkeyPatch) -> ImageOutcome:
    with monkeypatch.context() as patch:
        patch.setattr(png_module, "by_libvips", lambda data, header: False)
        return process_image(data, SETTINGS)


def _levels(a: Image.Image, b: Image.Image) -> tuple[int, float]:
    """The largest and the mean difference of two same-mode images' samples, in levels of 255."""
    assert (a.mode, a.size) == (b.mode, b.size)
    diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
    return int(diff.max()), float(diff.mean())


PHOTO = photo(1600, 1200)


@pytest.mark.parametrize(
    "data",
    [
        encode(PHOTO, "PNG"),
        encode(PHOTO.convert("RGBA"), "PNG"),
        encode(PHOTO.convert("L"), "PNG"),
        encode(photo(300, 200, "RGBA"), "PNG"),  # smaller than every output: decoded as stored
        _interlaced(PHOTO),
        _oriented(PHOTO, 6),  # eXIf chunk before the pixel data
        encode(PHOTO, "PNG", icc_profile=b"\x00" * 128, pnginfo=None),
    ],
    ids=["rgb", "rgba", "grey", "small-rgba", "adam7-interlaced", "exif-orientation-6", "icc"],
)
def test_libvips_decodes_plain_pngs_to_pillows_sizes_and_pixels(
    data: bytes, libvips_chosen: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = process_image(data, SETTINGS)
    assert libvips_chosen == [True]
    reference = _with_pillow_only(data, monkeypatch)
    assert [(r.name, r.content_type, r.width, r.height) for r in outcome.renditions] == [
        (r.name, r.content_type, r.width, r.height) for r in reference.renditions
    ]
    ours, theirs = outcome.metadata, reference.metadata
    assert (ours.width, ours.height, ours.mode, ours.exif_orientation) == (
        theirs.width,
        theirs.height,
        theirs.mode,
        theirs.exif_orientation,
    )
    # libvips' lanczos3 against Pillow's LANCZOS (after a 2x box reduce): a few levels at most, well under one on
    # average; the perceptual hash may flip a bit or two, never more.
    largest, mean = _levels(outcome.upright, reference.upright)
    assert largest <= 8
    assert mean < 1.0
    flipped = bin(int(ours.phash, 16) ^ int(theirs.phash, 16)).count("1")
    assert flipped <= 3


def test_the_decoded_png_is_already_the_size_of_the_first_step() -> None:
    data = encode(PHOTO, "PNG")
    decoded = decode(data, SETTINGS, first_size=lambda stored, orientation: (800, 600))
    assert decoded.image.size == (800, 600)
    assert decoded.pixels_size == (1600, 1200)  # render_recipe computes the outputs' sizes from the stored size
    assert decode(data, SETTINGS).image.size == (1600, 1200)  # no first size asked: as stored


def test_transparent_pixels_colours_do_not_bleed_into_their_neighbours() -> None:
    # Left half: opaque blue. Right half: fully transparent, with red colour values nobody should ever see.
    pixels = np.zeros((400, 800, 4), dtype=np.uint8)
    pixels[:, :400] = (0, 0, 255, 255)
    pixels[:, 400:] = (255, 0, 0, 0)
    data = encode(Image.fromarray(pixels, "RGBA"), "PNG")
    decoded = np.asarray(decode(data, SETTINGS, first_size=lambda stored, orientation: (150, 75)).image)
    visible = decoded[..., 3] > 0
    assert visible[:, 70:80].any()  # the resize's kernel straddles the edge there
    # Premultiplied: a half-transparent edge pixel is blue, not purple (unpremultiplied, red reaches ~127 there).
    assert int(decoded[visible][..., 0].max()) <= 2


def test_the_exif_orientation_of_a_png_is_applied(libvips_chosen: list[bool]) -> None:
    outcome = process_image(_oriented(photo(400, 300), 6), SETTINGS)
    assert libvips_chosen == [True]
    assert (outcome.metadata.exif_orientation, outcome.metadata.mode) == (6, "RGB")
    assert (outcome.renditions[0].width, outcome.renditions[0].height) == (300, 400)


def _late_exif(image: Image.Image) -> bytes:
    """An eXIf chunk after the pixel data (allowed before PNG 1.5): only a full Pillow decode reads it."""
    data = encode(image, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + _chunk(b"eXIf", exif.tobytes()[6:]) + data[iend:]


def _palette() -> bytes:
    return encode(PHOTO.convert("P", palette=Image.Palette.ADAPTIVE), "PNG")


@pytest.mark.parametrize(
    ("data", "mode"),
    [
        (_palette(), "P"),
        (encode(PHOTO.convert("P", palette=Image.Palette.ADAPTIVE), "PNG", transparency=0), "P"),
        (encode(PHOTO.convert("I;16"), "PNG"), "I;16"),
        (encode(PHOTO.convert("1"), "PNG"), "1"),
        (encode(PHOTO, "PNG", transparency=(0, 0, 0)), "RGB"),  # tRNS on RGB
        (encode(PHOTO, "PNG", save_all=True, append_images=[PHOTO.rotate(90)]), "RGB"),  # animated
        (encode(PHOTO.convert("LA"), "PNG"), "LA"),
        (_late_exif(PHOTO), "RGB"),
        (encode(PHOTO, "PNG")[:-12], "RGB"),  # IEND missing: Pillow accepts it, as before
    ],
    ids=["palette", "palette-trns", "16-bit", "1-bit", "rgb-trns", "apng", "grey-alpha", "exif-after-idat", "no-iend"],
)
def test_other_pngs_keep_pillows_decoder(data: bytes, mode: str, libvips_chosen: list[bool]) -> None:
    assert process_image(data, SETTINGS).metadata.mode == mode
    assert libvips_chosen == [False]


def test_an_exif_orientation_after_the_pixel_data_is_still_applied() -> None:
    outcome = process_image(_late_exif(photo(400, 300)), SETTINGS)
    assert outcome.metadata.exif_orientation == 6
    assert (outcome.renditions[0].width, outcome.renditions[0].height) == (300, 400)


def _stale_idat_crc(data: bytes) -> bytes:
    """`data` with its first IDAT chunk's CRC wrong and its pixel data intact (Pillow never checks IDAT CRCs)."""
    _, pos, length = next(c for c in _chunks(data) if c[0] == b"IDAT")
    out = bytearray(data)
    out[pos + 8 + length] ^= 0x01
    return bytes(out)


def _idat_chunks_dropped(data: bytes) -> bytes:
    """`data` with all its IDAT chunks but the first gone, every remaining chunk whole (from IHDR to IEND)."""
    _, second, _ = [c for c in _chunks(data) if c[0] == b"IDAT"][1]
    return data[:second] + data[-12:]


@pytest.mark.parametrize(
    ("data", "by_libvips"),
    [
        (_damaged_idat(encode(PHOTO, "PNG"), 1000, fix_crc=False), True),
        # CRCs recomputed over the damage, so only the zlib stream can tell: its Huffman tables, its Adler-32.
        (_damaged_idat(encode(PHOTO, "PNG"), 20, fix_crc=True), True),
        (_damaged_idat(encode(PHOTO, "PNG"), -1, fix_crc=True, last=True), True),
        (_stale_idat_crc(encode(PHOTO, "PNG")), True),  # Pillow completed this one before libvips
        # Cut short: no IEND, so Pillow's decoder, which refuses a truncated file as it always did.
        (encode(PHOTO, "PNG")[:-5000], False),
        (encode(PHOTO.convert("RGBA"), "PNG")[:40_000], False),
        # Chunks missing, IEND still there: libvips runs out of pixel data.
        (_idat_chunks_dropped(encode(PHOTO, "PNG")), True),
    ],
    ids=["bad-crc", "broken-deflate", "wrong-adler32", "crc-only", "truncated", "truncated-rgba", "truncated-iend"],
)
def test_damaged_pngs_fail_corrupt_image(data: bytes, by_libvips: bool, libvips_chosen: list[bool]) -> None:
    with pytest.raises(CorruptImageError) as raised:
        process_image(data, SETTINGS)
    assert libvips_chosen == [by_libvips]
    assert "cannot be decoded" in raised.value.message


def test_a_png_over_the_pixel_limit_is_refused_before_any_decoding(libvips_chosen: list[bool]) -> None:
    settings = Settings(max_image_pixels=1_000_000)
    with pytest.raises(ImageTooLargeError):
        process_image(encode(PHOTO, "PNG"), settings)  # 1.92 MP
    assert libvips_chosen == []  # refused from the header Pillow read, before png.py saw it
