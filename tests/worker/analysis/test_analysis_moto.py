"""The Rekognition engine over real HTTP against moto, whose DetectText/DetectLabels answer is canned."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli.processes import Service, start_moto
from core.aws import AwsClients
from core.config import Settings
from harness.images import encode, photo
from worker.analysis import SourceImage, analyze

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def moto() -> Iterator[Service]:
    service = start_moto()
    try:
        yield service
    finally:
        service.stop()


def test_canned_rekognition_answer_maps_into_our_shape(moto: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings = Settings(analysis_engine="rekognition", aws_endpoint_url=moto.url, uploads_bucket="analysis-test")
    clients = AwsClients(settings)
    image = photo(320, 240)
    data = encode(image, "PNG")
    clients.s3.create_bucket(Bucket=settings.uploads_bucket)
    clients.s3.put_object(Bucket=settings.uploads_bucket, Key="uploads/job/original", Body=data)
    source = SourceImage(settings.uploads_bucket, "uploads/job/original", "PNG", len(data), 320, 240)

    result = analyze(image, source, settings, clients)

    assert result.engine == "rekognition" and result.image_sent == "s3_object"
    assert result.full_text.startswith("IT'S\nMONDAY")
    assert [w.text for w in result.words][:2] == ["IT'S", "MONDAY"]
    assert all(w.line is not None and 0 <= w.line < len(result.lines) for w in result.words)
    assert result.lines[result.words[1].line or 0].text == "MONDAY"
    phone = next(label for label in result.labels if label.name == "Mobile Phone")
    assert phone.parents == ["Phone"] and phone.categories == ["Technology and Computing"]
    assert phone.instances and 0 < phone.instances[0].box.width < 1
    # moto nests its canned ImageProperties one level too deep, so the client sees none: we fall back to pixels.
    assert result.properties is not None and result.properties.source == "pixels"
