"""Recipes end to end: a job's custom outputs are exactly the files in S3, with the sizes, formats and crops asked."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image

from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import edge_bands, encode
from harness.jobs import submit, wait_for_job
from harness.queues import SnsInbox
from tests.support import job_outputs

OUTPUTS = [
    {"name": "avatar.webp", "width": 256, "height": 256, "fit": "cover", "format": "webp", "gravity": "center"},
    {"name": "hero.avif", "width": 2000, "format": "avif", "quality": 50},
    {"name": "banner.png", "width": 600, "height": 100, "fit": "fill", "format": "png"},
    {"name": "card.jpg", "width": 400, "height": 400, "fit": "contain", "format": "jpeg", "quality": 70},
]
EXPECTED = {
    "avatar.webp": ("WEBP", "image/webp", (256, 256)),
    "hero.avif": ("AVIF", "image/avif", (2000, 1500)),
    "banner.png": ("PNG", "image/png", (600, 100)),
    "card.jpg": ("JPEG", "image/jpeg", (400, 300)),
}


def _stored(clients: AwsClients, stack: LocalStack, key: str) -> tuple[Image.Image, str]:
    obj = clients.s3.get_object(Bucket=stack.settings.outputs_bucket, Key=key)
    image = Image.open(io.BytesIO(obj["Body"].read()))
    image.load()
    return image, obj["ContentType"]


def test_custom_outputs_are_exactly_the_files_asked_for(
    api: httpx.Client, stack: LocalStack, clients: AwsClients, sns_inbox: SnsInbox
) -> None:
    data = encode(edge_bands(4000, 3000), "JPEG", quality=92)
    job_id = submit(api, data, "image/jpeg", "bands.jpg", outputs=OUTPUTS)
    job = wait_for_job(api, job_id)
    assert job["status"] == "completed", job
    assert job["preset"] is None
    outputs = job["result"]["outputs"]
    assert [o["name"] for o in outputs] == [o["name"] for o in OUTPUTS]  # the recipe's order, nothing else
    assert job_outputs(clients, stack, job_id) == sorted(o["key"] for o in outputs)
    pixels = {}
    for output in outputs:
        image, content_type = _stored(clients, stack, output["key"])
        fmt, expected_type, size = EXPECTED[output["name"]]
        assert (image.format, content_type, image.size) == (fmt, expected_type, size), output["name"]
        assert (output["content_type"], output["width"], output["height"]) == (expected_type, *size)
        pixels[output["name"]] = np.asarray(image.convert("RGB"), dtype=np.int16)
    # The centred cover crop cut both coloured edge bands of the 4:3 source away; `contain` kept the whole frame.
    assert pixels["avatar.webp"][..., 0].max() < 80 and pixels["avatar.webp"][..., 2].max() < 80
    assert pixels["card.jpg"][:, :5, 0].mean() > 150 and pixels["card.jpg"][:, -5:, 2].mean() > 150
    [message] = sns_inbox.for_job(job_id)
    assert set(message["body"]["outputs"]) == set(EXPECTED)


def test_a_preset_renders_its_outputs(api: httpx.Client) -> None:
    job = wait_for_job(api, submit(api, encode(edge_bands(1200, 900), "PNG"), "image/png", preset="avatar"))
    assert job["status"] == "completed", job
    assert [(o["name"], o["width"], o["height"]) for o in job["result"]["outputs"]] == [
        ("avatar-256.webp", 256, 256),
        ("avatar-64.webp", 64, 64),
    ]


def test_a_crop_around_faces_says_how_it_was_placed_when_no_detector_ran(api: httpx.Client) -> None:
    """The local engine has no face detector: the crop falls back to attention, and the output says so."""
    outputs = [
        {"name": "face.webp", "width": 128, "height": 128, "fit": "cover", "format": "webp", "gravity": "faces"},
        {"name": "small.jpg", "width": 128, "format": "jpeg"},
    ]
    job = wait_for_job(api, submit(api, encode(edge_bands(1200, 400), "PNG"), "image/png", outputs=outputs))
    assert job["status"] == "completed", job
    notes = {o["name"]: o["crop_note"] for o in job["result"]["outputs"]}
    assert notes == {"face.webp": "no face detector with this analysis engine: cropped by attention", "small.jpg": None}
