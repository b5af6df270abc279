"""Fingerprints in every job's metadata: SHA-256 of the upload, a perceptual hash that survives re-encoding and a
BlurHash placeholder that looks like the picture."""

from __future__ import annotations

import hashlib

import blurhash
import numpy as np
import pytest
from PIL import Image, ImageStat

from core.config import Settings
from harness.images import encode, photo
from worker.stages.fingerprints import _thumbnail, placeholder
from worker.stages.image import process_image

SETTINGS = Settings()


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _phash(data: bytes) -> str:
    phash = process_image(data, SETTINGS).metadata.phash
    assert phash is not None
    return phash


def test_sha256_is_of_the_uploaded_bytes() -> None:
    data = encode(photo(320, 240), "PNG")
    meta = process_image(data, SETTINGS).metadata
    assert meta.sha256 == hashlib.sha256(data).hexdigest()


def test_perceptual_hash_is_64_bits_in_hex() -> None:
    phash = _phash(encode(photo(320, 240), "PNG"))
    assert len(phash) == 16 and int(phash, 16) >= 0


def test_perceptual_hash_survives_reencoding_and_resizing() -> None:
    original = photo(1600, 1200)
    reference = _phash(encode(original, "JPEG", quality=95))
    variants = {
        "jpeg q40": encode(original, "JPEG", quality=40),
        "half size png": encode(original.resize((800, 600)), "PNG"),
        "webp q50": encode(original, "WEBP", quality=50),
        "heic": encode(original, "HEIF", quality=50),
        "small jpeg q20": encode(original.resize((640, 480)), "JPEG", quality=20),
    }
    distances = {name: _hamming(reference, _phash(data)) for name, data in variants.items()}
    assert all(d <= 6 for d in distances.values()), distances


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_perceptual_hash_tells_different_photos_apart(seed: int) -> None:
    reference = _phash(encode(photo(1600, 1200, seed=1), "JPEG", quality=90))
    other = _phash(encode(photo(1600, 1200, seed=seed), "JPEG", quality=90))
    assert _hamming(reference, other) > 20


def test_perceptual_hash_is_of_the_upright_picture() -> None:
    upright = photo(600, 800)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored_sideways = encode(upright.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif.tobytes())
    assert _hamming(_phash(encode(upright, "JPEG", quality=90)), _phash(stored_sideways)) <= 6


def _decoded_placeholder(data: bytes) -> tuple[Image.Image, str]:
    meta = process_image(data, SETTINGS).metadata
    assert meta.placeholder_kind == "blurhash" and meta.placeholder is not None
    width, height = meta.upright_width, meta.upright_height
    scale = 32 / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pixels = blurhash.decode(meta.placeholder, *size)
    image = Image.new("RGB", size)
    image.putdata([tuple(int(max(0, min(255, round(c)))) for c in px[:3]) for row in pixels for px in row])
    return image, meta.placeholder


def test_placeholder_is_a_short_blurhash_that_looks_like_the_picture() -> None:
    # Left half red, right half blue: the decoded placeholder must be reddish left and bluish right.
    picture = Image.new("RGB", (400, 300), (220, 30, 30))
    picture.paste((30, 30, 220), (200, 0, 400, 300))
    preview, text = _decoded_placeholder(encode(picture, "PNG"))
    assert len(text) == 28  # 4x3 components
    left = preview.getpixel((2, preview.height // 2))
    right = preview.getpixel((preview.width - 3, preview.height // 2))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[0] > left[2] + 60 and right[2] > right[0] + 60


def test_portrait_placeholder_has_more_rows_than_columns() -> None:
    # BlurHash's first character encodes the component counts: (x - 1) + (y - 1) * 9.
    _, text = _decoded_placeholder(encode(photo(300, 400), "PNG"))
    assert text[0] == "T"  # 3x4: 29 in base 83; landscape pictures start with "L" (4x3: 21)
    assert _decoded_placeholder(encode(photo(400, 300), "PNG"))[1][0] == "L"


def test_transparent_pixels_are_previewed_on_white() -> None:
    clear = Image.new("RGBA", (200, 150), (0, 0, 0, 0))
    preview, _ = _decoded_placeholder(encode(clear, "PNG"))
    assert all(channel > 235 for channel in preview.getpixel((preview.width // 2, preview.height // 2)))  # type: ignore[union-attr]


def test_placeholder_of_an_opaque_photo_keeps_its_average_colour() -> None:
    picture = photo(640, 480)
    preview, _ = _decoded_placeholder(encode(picture, "JPEG", quality=90))
    mean, mean_preview = ImageStat.Stat(picture).mean, ImageStat.Stat(preview).mean
    assert all(abs(a - b) < 20 for a, b in zip(mean, mean_preview, strict=True)), (mean, mean_preview)


def _reference_blurhash(image: Image.Image) -> str:
    """The `blurhash` package's pure-Python encoder, on the same components as placeholder() asks for."""
    components = (4, 3) if image.width >= image.height else (3, 4)
    rgb = image.tobytes()
    rows = [[list(rgb[(y * image.width + x) * 3 :][:3]) for x in range(image.width)] for y in range(image.height)]
    return str(blurhash.encode(rows, *components))


def _samples() -> list[Image.Image]:
    """Thumbnails of photos, noise, flat colours, hard two-tone patterns and 1-pixel edges, in many sizes."""
    rng = np.random.default_rng(16)
    images = [_thumbnail(photo(int(w), int(h), seed=i)) for i, (w, h) in enumerate(rng.integers(40, 600, (60, 2)))]
    for w, h in rng.integers(1, 33, (60, 2)):
        images.append(Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)))
        images.append(Image.fromarray((rng.integers(0, 2, (h, w, 3)) * 255).astype(np.uint8)))
        images.append(Image.new("RGB", (int(w), int(h)), tuple(int(v) for v in rng.integers(0, 256, 3))))
    return images


def test_placeholder_is_exactly_the_blurhash_packages_string() -> None:
    # placeholder() sums with numpy; the package's encoder is the reference for every character.
    samples = _samples()
    assert len(samples) == 240
    assert [placeholder(image) for image in samples] == [_reference_blurhash(image) for image in samples]
