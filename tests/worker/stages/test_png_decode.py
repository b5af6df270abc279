"""Issue 16.6: PNGs decoded by libspng (imagecodecs) give exactly what Pillow's decoder gave; anything else still goes
to Pillow, and damaged files still fail `corrupt_image`."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import imagecodecs
import numpy as np
import pytest
from PIL import Image

from core.config import Settings
from core.errors import CorruptImageError
from harness.images import encode, photo
from worker.stages import png as png_module
from worker.stages.image import ImageOutcome, process_image

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
def spng_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts libspng decodes (the fast path) in the code under test."""
    calls: list[int] = []
    real = imagecodecs.spng_decode

    def decode(data: bytes) -> np.ndarray:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(png_module.imagecodecs, "spng_decode", decode)
    return calls


def _with_pillow_only(data: bytes, monkeypatch: pytest.MonkeyPatch) -> ImageOutcome:
    def refuse(data: bytes) -> np.ndarray:
        raise imagecodecs.SpngError("refused by the test", 1)

    with monkeypatch.context() as patch:
        patch.setattr(png_module.imagecodecs, "spng_decode", refuse)
        return process_image(data, SETTINGS)


PHOTO = photo(1600, 1200)


@pytest.mark.parametrize(
    "data",
    [
        encode(PHOTO, "PNG"),
        encode(PHOTO.convert("RGBA"), "PNG"),
        encode(PHOTO.convert("L"), "PNG"),
        encode(photo(300, 200, "RGBA"), "PNG"),  # no reduction step: the decoded image is resized directly
        _interlaced(PHOTO),
        _oriented(PHOTO, 6),  # eXIf chunk before the pixel data
        encode(PHOTO, "PNG", icc_profile=b"\x00" * 128, pnginfo=None),
    ],
    ids=["rgb", "rgba", "grey", "small-rgba", "adam7-interlaced", "exif-orientation-6", "icc"],
)
def test_libspng_decodes_plain_pngs_exactly_as_pillow_did(
    data: bytes, spng_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = process_image(data, SETTINGS)
    assert spng_calls, "expected the libspng path"
    reference = _with_pillow_only(data, monkeypatch)
    assert outcome.metadata == reference.metadata
    assert [(r.name, r.width, r.height, r.data) for r in outcome.renditions] == [
        (r.name, r.width, r.height, r.data) for r in reference.renditions
    ]


def test_the_exif_orientation_of_a_png_is_applied(spng_calls: list[int]) -> None:
    outcome = process_image(_oriented(photo(400, 300), 6), SETTINGS)
    assert spng_calls
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
        (encode(PHOTO.convert("LA"), "PNG"), "LA"),  # not one of imagecodecs' libspng formats
        (_late_exif(PHOTO), "RGB"),
        (encode(PHOTO, "PNG")[:-12], "RGB"),  # IEND missing: Pillow accepts it, as before
    ],
    ids=["palette", "palette-trns", "16-bit", "1-bit", "rgb-trns", "apng", "grey-alpha", "exif-after-idat", "no-iend"],
)
def test_other_pngs_keep_pillows_decoder(data: bytes, mode: str, spng_calls: list[int]) -> None:
    assert process_image(data, SETTINGS).metadata.mode == mode
    assert spng_calls == []


def test_an_exif_orientation_after_the_pixel_data_is_still_applied() -> None:
    outcome = process_image(_late_exif(photo(400, 300)), SETTINGS)
    assert outcome.metadata.exif_orientation == 6
    assert (outcome.renditions[0].width, outcome.renditions[0].height) == (300, 400)


@pytest.mark.parametrize(
    "data",
    [
        _damaged_idat(encode(PHOTO, "PNG"), 1000, fix_crc=False),
        # CRCs recomputed over the damage, so only the zlib stream can tell: its Huffman tables, its Adler-32.
        _damaged_idat(encode(PHOTO, "PNG"), 20, fix_crc=True),
        _damaged_idat(encode(PHOTO, "PNG"), -1, fix_crc=True, last=True),
    ],
    ids=["bad-crc", "broken-deflate", "wrong-adler32"],
)
def test_damaged_pngs_still_fail_corrupt_image(data: bytes, spng_calls: list[int]) -> None:
    with pytest.raises(CorruptImageError):
        process_image(data, SETTINGS)
    assert spng_calls  # libspng saw the damage; Pillow then raised, as it did before


def test_a_truncated_png_still_fails_corrupt_image() -> None:
    with pytest.raises(CorruptImageError):
        process_image(encode(PHOTO, "PNG")[:-5000], SETTINGS)
