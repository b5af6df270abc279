"""The formats people upload, through the whole local stack: an iPhone-like HEIC comes out upright, AVIF, WebP,
TIFF and a multi-frame file complete, and every job's metadata carries its fingerprints."""

from __future__ import annotations

import hashlib
import io

import httpx
from PIL import Image

from harness.images import encode, heic, photo
from harness.jobs import submit, wait_for_job


def _download(output: dict[str, object]) -> Image.Image:
    data = httpx.get(str(output["url"]), timeout=10).content
    return Image.open(io.BytesIO(data))


def test_iphone_like_heic_completes_upright(api: httpx.Client) -> None:
    # Stored as the sensor sees it (landscape, a red mark in the stored top-left), shown as a portrait (tag 6).
    stored = photo(1600, 1200)
    stored.paste((255, 0, 0), (0, 0, 400, 300))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "HEIF", quality=80, exif=exif.tobytes())

    job = wait_for_job(api, submit(api, data, "image/heic", "IMG_0001.HEIC"))

    assert job["status"] == "completed", job
    meta = job["result"]["metadata"]
    assert (meta["format"], meta["exif_orientation"]) == ("HEIF", 6)
    assert (meta["upright_width"], meta["upright_height"]) == (1200, 1600)
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(meta["phash"]) == 16 and meta["placeholder_kind"] == "blurhash" and meta["placeholder"]
    outputs = {o["name"]: o for o in job["result"]["outputs"]}
    for output in outputs.values():
        # Every output has the upright (portrait, 3:4) aspect.
        assert output["width"] < output["height"]
        assert abs(output["width"] / output["height"] - 3 / 4) < 0.01
    with _download(outputs["thumb-512.jpg"]) as shown:
        assert shown.size == (384, 512)
        r, g, b = shown.convert("RGB").getpixel((shown.width - 10, 10))  # type: ignore[misc]
        assert r > 200 and g < 60 and b < 60  # the stored top-left, turned 90 degrees clockwise: top-right


def test_avif_webp_tiff_and_heif_declared_as_such_complete(api: httpx.Client) -> None:
    image = photo(800, 600)
    jobs = {
        "AVIF": submit(api, encode(image, "AVIF"), "image/avif", "photo.avif"),
        "WEBP": submit(api, encode(image, "WEBP"), "image/webp", "photo.webp"),
        "TIFF": submit(api, encode(image, "TIFF"), "image/tiff", "scan.tiff"),
        "HEIF": submit(api, heic(800, 600), "image/heif", "photo.heif"),
    }
    phashes = []
    for fmt, job_id in jobs.items():
        job = wait_for_job(api, job_id)
        assert job["status"] == "completed", job
        meta = job["result"]["metadata"]
        assert (meta["format"], meta["upright_width"], meta["upright_height"], meta["frames"]) == (fmt, 800, 600, 1)
        phashes.append(int(meta["phash"], 16))
    # The same picture in four formats: near-identical perceptual hashes.
    assert max((a ^ b).bit_count() for a in phashes for b in phashes) <= 6


def test_multi_page_tiff_uses_its_first_page(api: httpx.Client) -> None:
    pages = [Image.new("RGB", (300, 200), (255, 0, 0)), Image.new("RGB", (200, 300), (0, 0, 255))]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])

    job = wait_for_job(api, submit(api, buffer.getvalue(), "image/tiff", "two-pages.tiff"))

    assert job["status"] == "completed", job
    meta = job["result"]["metadata"]
    assert (meta["frames"], meta["frame_used"], meta["width"], meta["height"]) == (2, 0, 300, 200)
