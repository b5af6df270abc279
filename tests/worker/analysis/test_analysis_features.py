"""Per-job analysis features: each engine answers only what the job asked for, in one shape per feature, and says
"not available" for what it cannot do instead of answering anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from PIL import Image

from core.analysis import Analysis, AnalysisFeature, Faces, Moderation
from core.aws import AwsClients
from core.config import Settings
from harness.images import photo
from tests.rekognition_responses import DETECT_FACES, DETECT_MODERATION_LABELS
from tests.support import face_portrait
from worker.analysis import SourceImage, analyze
from worker.analysis.features import LOCAL_MODERATION_REASON

MODERATION, FACES = AnalysisFeature.MODERATION, AnalysisFeature.FACES
S3_REF = {"S3Object": {"Bucket": "uploads", "Name": "uploads/job-1/original"}}


def source_for(image: Image.Image) -> SourceImage:
    return SourceImage("uploads", "uploads/job-1/original", "PNG", 1000, image.width, image.height)


@pytest.fixture
def rekognition(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, AwsClients, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = Settings(analysis_engine="rekognition")
    clients = AwsClients(settings)
    with Stubber(clients.rekognition) as stub:
        yield settings, clients, stub
        stub.assert_no_pending_responses()


def test_rekognition_calls_only_moderation_and_faces_when_only_they_are_asked(
    rekognition: tuple[Settings, AwsClients, Stubber],
) -> None:
    settings, clients, stub = rekognition
    # No DetectText or DetectLabels response is stubbed: calling either would fail the test.
    stub.add_response(
        "detect_moderation_labels",
        DETECT_MODERATION_LABELS,
        {"Image": S3_REF, "MinConfidence": settings.analysis_min_confidence},
    )
    stub.add_response("detect_faces", DETECT_FACES, {"Image": S3_REF, "Attributes": ["DEFAULT"]})
    image = photo(400, 300)

    result = analyze(image, source_for(image), settings, clients, [MODERATION, FACES])

    assert result.features == [MODERATION, FACES]
    assert result.lines == [] and result.labels == [] and result.full_text == ""
    assert result.properties is not None and result.properties.source == "pixels"
    moderation = result.moderation
    assert moderation is not None and moderation.available and moderation.reason is None
    assert [(m.name, m.parent, m.level) for m in moderation.labels] == [
        ("Violence", None, 1),
        ("Weapons", "Violence", 2),
    ]
    assert moderation.labels[1].confidence == 88.125 and moderation.model_version == "7.0"
    faces = result.faces
    assert faces is not None and faces.available
    assert [f.box.model_dump() for f in faces.faces] == [
        {"left": 0.61, "top": 0.22, "width": 0.12, "height": 0.3},
        {"left": 0.0, "top": 0.4, "width": 0.08, "height": 0.2},  # overhanging the edge: clamped
    ]
    assert faces.faces[0].confidence == 99.98
    assert Analysis.model_validate(result.model_dump(mode="json")) == result


def test_rekognition_finding_nothing_is_available_and_empty(rekognition: tuple[Settings, AwsClients, Stubber]) -> None:
    settings, clients, stub = rekognition
    stub.add_response("detect_moderation_labels", {"ModerationLabels": [], "ModerationModelVersion": "7.0"})
    stub.add_response("detect_faces", {"FaceDetails": []})
    image = photo(400, 300)
    result = analyze(image, source_for(image), settings, clients, [MODERATION, FACES])
    assert result.moderation == Moderation(available=True, labels=[], model_version="7.0")
    assert result.faces == Faces(available=True, faces=[])


def test_rekognition_says_why_an_image_too_small_has_no_moderation(
    rekognition: tuple[Settings, AwsClients, Stubber],
) -> None:
    settings, clients, _ = rekognition
    image = photo(60, 60)
    result = analyze(image, source_for(image), settings, clients, [MODERATION])
    assert result.moderation is not None and not result.moderation.available
    assert result.moderation.reason and "image_too_small" in result.moderation.reason
    assert result.moderation.labels == [] and result.faces is None


def test_the_local_engine_says_moderation_is_not_available_and_finds_no_face_where_there_is_none() -> None:
    pytest.importorskip("onnxruntime", reason="the local engine needs the `ocr` extra: pip install -e '.[ocr]'")
    settings = Settings(analysis_engine="local")
    image = photo(400, 300)

    result = analyze(image, source_for(image), settings, AwsClients(settings), [MODERATION, FACES])

    assert result.engine == "local" and result.features == [MODERATION, FACES]
    assert result.moderation == Moderation(available=False, reason=LOCAL_MODERATION_REASON)
    assert result.faces == Faces(available=True, faces=[])  # looked, found none: as DetectFaces says it
    # Text was not asked for: no OCR ran (no model named), and labels are not explained away either.
    assert result.model_version is None and result.lines == [] and result.labels_note is None


def test_the_local_engine_returns_the_faces_it_finds_in_rekognitions_shape() -> None:
    pytest.importorskip("onnxruntime", reason="the local engine needs the `ocr` extra: pip install -e '.[ocr]'")
    settings = Settings(analysis_engine="local")
    image = face_portrait()

    result = analyze(image, source_for(image), settings, AwsClients(settings), [FACES])

    assert result.faces is not None and result.faces.available and result.faces.reason is None
    [face] = result.faces.faces
    assert 0.2 < face.box.left < 0.35 and 0.1 < face.box.top < 0.25 and face.confidence > 90
    assert result.moderation is None and result.lines == []


@pytest.mark.parametrize(
    ("engine", "features", "expected"),
    [
        ("off", [MODERATION], {"moderation": Moderation(available=False, reason="analysis_engine is off")}),
        ("off", [FACES], {"faces": Faces(available=False, reason="analysis_engine is off")}),
        ("local", [], {"skipped_reason": "the job asked for no analysis", "moderation": None, "faces": None}),
    ],
)
def test_what_is_not_asked_for_is_absent_and_what_cannot_be_done_says_so(
    engine: str, features: list[AnalysisFeature], expected: dict[str, Any]
) -> None:
    settings = Settings(analysis_engine=engine)
    image = photo(100, 100)
    result = analyze(image, source_for(image), settings, AwsClients(settings), features)
    assert result.features == features
    for name, value in expected.items():
        assert getattr(result, name) == value
