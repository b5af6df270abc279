"""The formats people upload: HEIC/HEIF, AVIF, WebP and TIFF beside PNG and JPEG, identified from the bytes, upright,
first frame of multi-frame files, with the same bomb guard and corrupt-file errors."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from core.config import Settings
from core.errors import CorruptImageError, ImageTooLargeError
from core.formats import HEAD_BYTES, sniff_format
from harness.images import encode, photo
from worker.stages.image import process_image

SETTINGS = Settings()
NEW_FORMATS = ["HEIF", "AVIF", "WEBP", "TIFF"]


def test_upload_formats_are_accepted_by_default() -> None:
    assert set(SETTINGS.accepted_formats) == {"PNG", "JPEG", *NEW_FORMATS}
    types = SETTINGS.accepted_content_types
    assert {t: types[t] for t in ("image/heic", "image/heif", "image/avif", "image/webp", "image/tiff")} == {
        "image/heic": "HEIF",
        "image/heif": "HEIF",
        "image/avif": "AVIF",
        "image/webp": "WEBP",
        "image/tiff": "TIFF",
    }
    assert "image/heif" not in Settings(accepted_formats=["PNG"]).accepted_content_types


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # An iPhone's HEIC: major brand heic, compatible mif1 MiHE miaf MiHB heic.
        (b"\x00\x00\x00\x24ftypheic\x00\x00\x00\x00mif1MiHEmiafMiHBheic\x00\x00\x0f\xe8meta", "HEIF"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIF"),  # generic HEIF major brand
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "AVIF"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "AVIF"),  # AVIF under a generic major brand
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # an MP4 video: same box, other brands
        (b"\x00\x00\x00\x10ftypheic", "HEIF"),
        (b"II*\x00\x08\x00\x00\x00", "TIFF"),
        (b"MM\x00*\x00\x00\x00\x08", "TIFF"),
    ],
)
def test_formats_are_identified_from_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert len(head) <= HEAD_BYTES
    assert sniff_format(head) == expected


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_each_format_completes_with_its_renditions(fmt: str) -> None:
    data = encode(photo(640, 480), fmt)
    assert sniff_format(data[:HEAD_BYTES]) == fmt
    outcome = process_image(data, SETTINGS)
    meta = outcome.metadata
    assert (meta.format, meta.width, meta.height, meta.frames) == (fmt, 640, 480, 1)
    assert {(r.name, r.width, r.height) for r in outcome.renditions} >= {("thumb-128.jpg", 128, 96)}


def _marked(width: int, height: int) -> Image.Image:
    """A photo with a red block in its stored top-left corner, to see where it ends up."""
    image = photo(width, height)
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    return image


def test_iphone_like_heic_comes_out_upright() -> None:
    # As an iPhone stores a portrait photo: sensor-landscape pixels, rotated by the container (and EXIF) tag 6.
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(_marked(800, 600), "HEIF", quality=85, exif=exif.tobytes())
    assert data[4:12] == b"ftypheic"

    outcome = process_image(data, SETTINGS)

    meta = outcome.metadata
    assert (meta.format, meta.exif_orientation) == ("HEIF", 6)
    assert (meta.width, meta.height, meta.upright_width, meta.upright_height) == (800, 600, 600, 800)
    thumb = next(r for r in outcome.renditions if r.name == "thumb-512.jpg")
    assert (thumb.width, thumb.height) == (384, 512)
    with Image.open(io.BytesIO(thumb.data)) as shown:
        # Turned once (90 degrees clockwise), not twice: the stored top-left is now the top-right.
        r, g, b = shown.convert("RGB").getpixel((shown.width - 10, 10))  # type: ignore[misc]
        assert r > 200 and g < 60 and b < 60
        r, g, b = shown.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert not (r > 200 and g < 60 and b < 60)


def _frames(fmt: str) -> bytes:
    # Each frame a different colour (and, where the format allows, size): the output must be frame 0's.
    colours = [(255, 0, 0), (0, 0, 255), (0, 255, 0)]
    sizes = [(200, 100)] * 3 if fmt in ("WEBP", "AVIF", "GIF") else [(200, 100), (100, 200), (150, 150)]
    frames = [Image.new("RGB", size, colour) for size, colour in zip(sizes, colours, strict=True)]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:])
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["WEBP", "AVIF", "TIFF", "HEIF", "GIF"])
def test_multi_frame_files_use_the_first_frame_and_say_so(fmt: str) -> None:
    outcome = process_image(_frames(fmt), Settings(accepted_formats=[fmt]))
    meta = outcome.metadata
    assert (meta.frames, meta.frame_used, meta.width, meta.height) == (3, 0, 200, 100)
    with Image.open(io.BytesIO(outcome.renditions[0].data)) as first:
        r, g, b = first.convert("RGB").getpixel((first.width // 2, first.height // 2))  # type: ignore[misc]
        assert r > 200 and g < 60 and b < 60


def test_single_frame_files_say_one_frame() -> None:
    meta = process_image(encode(photo(64, 48), "PNG"), SETTINGS).metadata
    assert (meta.frames, meta.frame_used) == (1, 0)


def _claiming(data: bytes, width: int, height: int) -> bytes:
    """`data` (HEIF or AVIF) with its image's declared size (the `ispe` box) changed; the pixels stay small."""
    at = data.index(b"ispe") + 8  # after the box type and its version/flags
    return data[:at] + struct.pack(">II", width, height) + data[at + 8 :]


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_huge_declared_size_fails_before_decoding(fmt: str) -> None:
    # 64x64: no crop box, so the declared size is the image's. 12000x12000 = 144 MP, over the 100 MP default.
    data = _claiming(encode(photo(64, 64), fmt), 12000, 12000)
    with pytest.raises(ImageTooLargeError) as raised:
        process_image(data, SETTINGS)
    # Decoding would have found 64x64 pixels and failed as corrupt_image: the header check came first.
    assert raised.value.code == "image_too_large"


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_the_bomb_limit_applies_to_every_format(fmt: str) -> None:
    with pytest.raises(ImageTooLargeError):
        process_image(encode(photo(100, 100), fmt), Settings(max_image_pixels=9_999))


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_truncated_files_fail_as_corrupt(fmt: str) -> None:
    data = encode(photo(320, 240), fmt)
    with pytest.raises(CorruptImageError) as raised:
        process_image(data[: len(data) * 2 // 3], SETTINGS)
    assert raised.value.code == "corrupt_image"
    assert fmt in raised.value.message


def test_heif_with_several_images_uses_its_primary_one() -> None:
    # HEIF names a primary image, the one viewers show; it need not be the first stored.
    images = [Image.new("RGB", (200, 100), (255, 0, 0)), Image.new("RGB", (100, 200), (0, 0, 255))]
    buffer = io.BytesIO()
    images[0].save(buffer, "HEIF", save_all=True, append_images=images[1:], primary_index=1)
    meta = process_image(buffer.getvalue(), SETTINGS).metadata
    assert (meta.frames, meta.frame_used, meta.width, meta.height) == (2, 1, 100, 200)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_damaged_coded_data_fails_as_corrupt(fmt: str) -> None:
    # Headers intact, the coded picture (HEVC / AV1, in the `mdat` box) overwritten: the decoder's failure is the
    # file's fault (Pillow's AVIF plugin raises RuntimeError for it), not a transient error worth retrying.
    data = encode(photo(96, 64), fmt)
    start = data.index(b"mdat") + 4
    damaged = data[:start] + b"\x55" * (len(data) - start)
    with pytest.raises(CorruptImageError) as raised:
        process_image(damaged, SETTINGS)
    assert raised.value.code == "corrupt_image"
