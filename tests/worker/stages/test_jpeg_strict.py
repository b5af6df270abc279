"""Issue 13.5: damaged JPEGs fail `corrupt_image` (libjpeg only warns about them); valid unusual JPEGs still pass."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.config import Settings
from core.errors import CorruptImageError
from harness.images import encode, jpeg, photo
from tests.support import cut_jpeg, jpeg_claiming
from worker.stages.image import process_image

SETTINGS = Settings()
BASELINE = jpeg(640, 480)


@pytest.mark.parametrize(
    "data",
    [
        cut_jpeg(BASELINE),
        cut_jpeg(jpeg(4000, 3000)),  # draft-decoded at 1/2 scale
        cut_jpeg(encode(photo(640, 480), "JPEG", progressive=True), 0.5),
        cut_jpeg(encode(photo(640, 480), "JPEG", restart_marker_rows=1), 0.5),
        cut_jpeg(BASELINE, 0.95),  # only the last rows missing
        jpeg_claiming(BASELINE, 10000, 10000),  # 100 MP claimed: at the pixel limit, not over it
        jpeg_claiming(BASELINE, 640, 960),
    ],
    ids=[
        "cut-10%",
        "cut-10%-12mp",
        "progressive-cut-50%",
        "restarts-cut-50%",
        "cut-95%",
        "claims-10000x10000",
        "claims-twice-the-rows",
    ],
)
def test_damaged_jpeg_fails_with_corrupt_image(data: bytes) -> None:
    with pytest.raises(CorruptImageError) as raised:
        process_image(data, SETTINGS)
    assert raised.value.code == "corrupt_image"
    assert "premature end of data" in raised.value.message


RESTARTS = encode(photo(320, 240), "JPEG", restart_marker_rows=1)
_RST2 = RESTARTS.index(b"\xff\xd2", RESTARTS.index(b"\xff\xda"))
_MIDDLE = len(RESTARTS) // 2


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (RESTARTS[:_RST2] + b"\xff\xd5" + RESTARTS[_RST2 + 2 :], "found marker 0xd5 instead of RST2"),
        # Zeros decode as (wrong) Huffman data without complaint; the restart marker after them shows the damage.
        (RESTARTS[:_MIDDLE] + bytes(200) + RESTARTS[_MIDDLE + 200 :], "extraneous bytes before marker 0xd"),
    ],
    ids=["wrong-restart-marker", "zeroed-scan-data"],
)
def test_other_scan_damage_fails_with_corrupt_image(data: bytes, reason: str) -> None:
    with pytest.raises(CorruptImageError) as raised:
        process_image(data, SETTINGS)
    assert reason in raised.value.message


def _with_jfif_major(data: bytes, major: int) -> bytes:
    at = data.index(b"JFIF\x00") + 5
    return data[:at] + bytes([major]) + data[at + 1 :]


def _with_bad_icc_sequence(data: bytes) -> bytes:
    at = data.index(b"ICC_PROFILE\x00") + 12
    return data[:at] + b"\x05\x01" + data[at + 2 :]  # chunk 5 of 1


@pytest.mark.parametrize(
    "data",
    [
        _with_jfif_major(BASELINE, 2),  # libjpeg: "unknown JFIF revision number 2.01"
        _with_bad_icc_sequence(encode(photo(640, 480), "JPEG", icc_profile=bytes(300))),  # "bad ICC marker"
    ],
    ids=["jfif-2.01", "bad-icc-marker"],
)
def test_header_warnings_do_not_fail_a_whole_image(data: bytes) -> None:
    outcome = process_image(data, SETTINGS)
    assert (outcome.metadata.width, outcome.metadata.height) == (640, 480)


def _motion_photo(data: bytes) -> bytes:
    # Phones append a video (motion photos) or further JPEGs (MPF) after the primary image's EOI.
    return data + b"\x00\x00\x00\x18ftypmp42" + bytes(4096) + jpeg(64, 48)


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (encode(photo(1600, 1200), "JPEG", progressive=True), (1600, 1200)),
        (encode(photo(1600, 1200), "JPEG", restart_marker_rows=1), (1600, 1200)),
        (encode(photo(1600, 1200), "JPEG", restart_marker_blocks=7, progressive=True), (1600, 1200)),
        (_motion_photo(jpeg(4000, 3000)), (4000, 3000)),
        (jpeg(640, 480)[:-2] + bytes(16) + b"\xff\xd9", (640, 480)),  # stray bytes before EOI: data is whole
        (encode(photo(300, 200), "JPEG", subsampling=0, quality=100), (300, 200)),
    ],
    ids=[
        "progressive",
        "restart-markers",
        "progressive-restarts",
        "trailing-video-and-mpf",
        "bytes-before-eoi",
        "444-q100",
    ],
)
def test_valid_unusual_jpegs_still_complete(data: bytes, size: tuple[int, int]) -> None:
    outcome = process_image(data, SETTINGS)
    assert (outcome.metadata.width, outcome.metadata.height) == size
    thumb = Image.open(io.BytesIO(outcome.renditions[0].data)).convert("RGB")
    # Real pixels to the last row, not libjpeg's grey fill: the bottom-right corner is the photo's, not (128,128,128).
    reference = photo(*size).resize(thumb.size).getpixel((thumb.width - 2, thumb.height - 2))
    corner = thumb.getpixel((thumb.width - 2, thumb.height - 2))
    assert isinstance(corner, tuple) and isinstance(reference, tuple)
    assert max(abs(a - b) for a, b in zip(corner, reference, strict=True)) < 40


def test_decoded_jpeg_pixels_match_pillows_own_decoder() -> None:
    data = encode(photo(300, 200).convert("CMYK"), "JPEG")  # Adobe CMYK: inverted samples
    ours = process_image(data, SETTINGS).renditions[0]
    pillow = Image.open(io.BytesIO(data)).convert("RGB")
    thumb = Image.open(io.BytesIO(ours.data)).convert("RGB")
    assert thumb.size == pillow.size
    pixel, expected = thumb.getpixel((150, 100)), pillow.getpixel((150, 100))
    assert isinstance(pixel, tuple) and isinstance(expected, tuple)
    assert max(abs(a - b) for a, b in zip(pixel, expected, strict=True)) < 12
