"""Recipes end to end: a job's custom outputs are exactly the files in S3, with the sizes, formats and crops asked."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image

from cli.stack import LocalStack
from core.aws import AwsClients
from harness.images import edge_bands, encode, photo
from harness.jobs import api_client, submit, wait_for_job
from harness.queues import SnsInbox
from tests.support import job_outputs, wide_with_face
from worker.analysis.faces import detect_faces
from worker.crop import NO_DETECTOR_NOTE, NO_FACE_NOTE

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
    """With analysis off no face detector runs: the crop falls back to attention, and the output says so."""
    outputs = [
        {"name": "face.webp", "width": 128, "height": 128, "fit": "cover", "format": "webp", "gravity": "faces"},
        {"name": "small.jpg", "width": 128, "format": "jpeg"},
    ]
    job = wait_for_job(api, submit(api, encode(edge_bands(1200, 400), "PNG"), "image/png", outputs=outputs))
    assert job["status"] == "completed", job
    notes = {o["name"]: o["crop_note"] for o in job["result"]["outputs"]}
    assert notes == {"face.webp": NO_DETECTOR_NOTE, "small.jpg": None}


FACE_OUTPUTS = [
    {"name": "face.png", "width": 256, "height": 256, "fit": "cover", "format": "png", "gravity": "faces"},
    {"name": "centre.png", "width": 256, "height": 256, "fit": "cover", "format": "png", "gravity": "center"},
]


def test_the_local_engine_keeps_the_face_in_a_square_crop_of_a_wide_image(ocr_stack: LocalStack) -> None:
    """The local engine's detector finds the face of a 3:1 photo once; the `faces` square keeps it where a centred
    square holds none, and the faces found are in the job's analysis, as DetectFaces' would be."""
    clients = AwsClients(ocr_stack.settings)
    with api_client(ocr_stack) as api:
        job_id = submit(api, encode(wide_with_face(1200, 400), "JPEG", quality=90), "image/jpeg", outputs=FACE_OUTPUTS)
        job = wait_for_job(api, job_id, timeout=120)
    assert job["status"] == "completed", job
    outputs = {o["name"]: o for o in job["result"]["outputs"]}
    assert outputs["face.png"]["crop_note"] is None  # placed on the faces found
    [face] = job["result"]["analysis"]["faces"]["faces"]
    assert face["box"]["left"] < 0.2 and face["box"]["left"] + face["box"]["width"] < 0.35  # the left edge's face
    faces_in = {name: detect_faces(_stored(clients, ocr_stack, o["key"])[0]) for name, o in outputs.items()}
    assert len(faces_in["face.png"]) == 1 and faces_in["centre.png"] == []


def test_the_local_engine_crops_by_attention_when_it_finds_no_face(ocr_stack: LocalStack) -> None:
    with api_client(ocr_stack) as api:
        job_id = submit(api, encode(photo(1200, 400), "JPEG"), "image/jpeg", outputs=FACE_OUTPUTS[:1])
        job = wait_for_job(api, job_id, timeout=120)
    assert job["status"] == "completed", job
    [output] = job["result"]["outputs"]
    assert output["crop_note"] == NO_FACE_NOTE
    assert job["result"]["analysis"]["faces"] == {"available": True, "reason": None, "faces": []}
