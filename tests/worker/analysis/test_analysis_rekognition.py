"""The Rekognition engine against botocore's Stubber (responses shaped as in the AWS API reference; the Stubber
also validates them against the service model), plus a real HTTP endpoint for botocore's own retries."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from core.analysis import Analysis
from core.aws import AwsClients
from core.config import MiB, Settings
from core.errors import AnalysisInvalidImageError, JobError, TransientError
from harness.images import encode, photo
from tests.rekognition_responses import DETECT_LABELS, DETECT_TEXT
from worker.analysis import SourceImage, analyze
from worker.analysis import rekognition as rek

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def settings() -> Settings:
    return Settings(analysis_engine="rekognition", analysis_word_min_confidence=60, analysis_max_labels=7)


@pytest.fixture
def aws(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return AwsClients(settings)


@pytest.fixture
def stubber(aws: AwsClients) -> Iterator[Stubber]:
    with Stubber(aws.rekognition) as stub:
        yield stub
        stub.assert_no_pending_responses()


def source_for(image: Image.Image, fmt: str = "PNG", **overrides: Any) -> SourceImage:
    data = encode(image, fmt)
    fields: dict[str, Any] = {
        "bucket": "uploads",
        "key": "uploads/job-1/original",
        "format": fmt,
        "size_bytes": len(data),
        "width": image.width,
        "height": image.height,
    }
    return SourceImage(**(fields | overrides))


def expect_calls(stub: Stubber, settings: Settings, image_param: Any) -> None:
    stub.add_response(
        "detect_text",
        DETECT_TEXT,
        {"Image": image_param, "Filters": {"WordFilter": {"MinConfidence": settings.analysis_word_min_confidence}}},
    )
    stub.add_response(
        "detect_labels",
        DETECT_LABELS,
        {
            "Image": image_param,
            "MaxLabels": settings.analysis_max_labels,
            "MinConfidence": settings.analysis_min_confidence,
            "Features": ["GENERAL_LABELS", "IMAGE_PROPERTIES"],
            "Settings": {"ImageProperties": {"MaxDominantColors": settings.analysis_max_dominant_colors}},
        },
    )


class Capture:
    """An expected parameter that matches anything and keeps what it was compared with."""

    value: Any = None

    def __eq__(self, other: object) -> bool:
        self.value = other
        return True

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]


S3_REF = {"S3Object": {"Bucket": "uploads", "Name": "uploads/job-1/original"}}


def test_png_is_read_from_s3_and_mapped_into_one_shape(settings: Settings, aws: AwsClients, stubber: Stubber) -> None:
    image = photo(400, 300)
    expect_calls(stubber, settings, S3_REF)

    result = analyze(image, source_for(image), settings, aws)

    assert result.engine == "rekognition" and result.skipped_reason is None
    assert result.image_sent == "s3_object"
    assert result.full_text == "Hello world\nSecond"
    assert [line.text for line in result.lines] == ["Hello world", "Second"]
    assert [(w.text, w.line) for w in result.words] == [("Hello", 0), ("world", 0), ("Second", 1)]
    assert result.lines[0].box.model_dump() == {"left": 0.1, "top": 0.2, "width": 0.5, "height": 0.1}
    clamped = result.words[2].box
    assert clamped.left == 0 and clamped.top == 0.95 and clamped.height == pytest.approx(0.05)
    assert result.words[0].confidence == 99.5

    phone = result.labels[0]
    assert (phone.name, phone.confidence, phone.parents) == ("Mobile Phone", 99.9, ["Electronics", "Phone"])
    assert phone.aliases == ["Cell Phone"] and phone.categories == ["Technology and Computing"]
    assert phone.instances[0].box.width == 0.27 and phone.instances[0].confidence == 99.9
    assert result.labels[1].instances == [] and result.labels_note is None

    props = result.properties
    assert props is not None and props.source == "rekognition"
    assert (props.quality.brightness, props.quality.sharpness, props.quality.contrast) == (84.3, 93.9, 71.0)
    assert props.dominant_colors[1].hex == "#0c2238" and props.dominant_colors[0].css_color == "white"
    assert props.foreground is not None and props.foreground.quality.contrast is None
    assert props.background is not None and props.background.dominant_colors[0].pixel_percent == 61.2
    assert result.model_version == "text 3.0, labels 3.0"
    assert result.duration_ms > 0  # measured by analyze(), for every engine alike

    stored = result.model_dump(mode="json")
    assert Analysis.model_validate(stored) == result
    assert json.loads(json.dumps(stored)) == stored


def test_jpeg_up_to_15_mb_is_read_from_s3(settings: Settings, aws: AwsClients, stubber: Stubber) -> None:
    image = photo(300, 200)
    expect_calls(stubber, settings, S3_REF)
    source = source_for(image, "JPEG", size_bytes=15 * MiB)
    assert analyze(image, source, settings, aws).image_sent == "s3_object"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"size_bytes": 15 * MiB + 1}, id="over-15MB"),
        pytest.param({"format": "WEBP"}, id="not-jpeg-or-png"),
        pytest.param({"format": "HEIF"}, id="heic"),
        pytest.param({"format": "AVIF"}, id="avif"),
        pytest.param({"format": "TIFF"}, id="tiff"),
    ],
)
def test_otherwise_bytes_of_a_jpeg_are_sent(
    settings: Settings, aws: AwsClients, stubber: Stubber, overrides: dict[str, Any]
) -> None:
    image = photo(500, 400)
    sent_image = Capture()
    expect_calls(stubber, settings, sent_image)

    result = analyze(image, source_for(image, **overrides), settings, aws)

    assert result.image_sent == "bytes"
    assert list(sent_image.value) == ["Bytes"]
    sent = sent_image.value["Bytes"]
    assert len(sent) <= 5 * MiB
    with Image.open(io.BytesIO(sent)) as decoded:
        assert decoded.format == "JPEG" and decoded.size == (500, 400)


def test_rotated_jpeg_is_sent_upright_as_bytes(settings: Settings, aws: AwsClients, stubber: Stubber) -> None:
    # Boxes must be ratios of the upright image; the S3 original is stored sideways.
    upright = photo(300, 400)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    data = encode(stored, "JPEG", exif=exif.tobytes())
    source = SourceImage("uploads", "k", "JPEG", len(data), 300, 400, exif_orientation=6)
    expect_calls(stubber, settings, {"Bytes": ANY})
    assert analyze(upright, source, settings, aws).image_sent == "bytes"


def test_bytes_are_downscaled_to_fit_5_mb() -> None:
    image = Image.effect_noise((800, 800), 100).convert("RGB")  # noise: JPEG cannot compress it
    data = rek.encode_for_bytes(image, max_bytes=100_000)
    assert len(data) <= 100_000
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.width < 800 and decoded.width == decoded.height


def test_rgba_is_flattened_for_bytes() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    with Image.open(io.BytesIO(rek.encode_for_bytes(image))) as decoded:
        assert decoded.mode == "RGB" and decoded.getpixel((50, 50)) == (255, 255, 255)


@pytest.mark.parametrize("size", [(79, 500), (500, 79), (40, 40)])
def test_under_80_px_nothing_is_sent(
    settings: Settings, aws: AwsClients, stubber: Stubber, size: tuple[int, int]
) -> None:
    image = photo(*size)
    result = analyze(image, source_for(image), settings, aws)  # the Stubber fails any call: none was made
    assert result.skipped_reason is not None and result.skipped_reason.startswith("image_too_small")
    assert result.lines == [] and result.labels == [] and result.image_sent is None
    assert result.properties is not None and result.properties.source == "pixels"


def test_a_rendition_under_80_px_is_not_sent_as_bytes(settings: Settings, aws: AwsClients, stubber: Stubber) -> None:
    # A 4000x300 WebP (not readable from S3) whose 1024 px rendition is 1024x77: Rekognition would refuse it.
    rendition = photo(1024, 77)
    source = source_for(photo(200, 100), "WEBP", width=4000, height=300)
    result = analyze(rendition, source, settings, aws)  # the Stubber fails any call: none was made
    assert result.skipped_reason == "image_too_small: 1024x77 px; Rekognition needs at least 80 px on each side"


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_throttling_left_after_retries_is_transient(
    settings: Settings, aws: AwsClients, stubber: Stubber, code: str
) -> None:
    # The Stubber answers after botocore's retry loop: this is what is left once retries are spent.
    image = photo(200, 200)
    stubber.add_client_error("detect_text", service_error_code=code, http_status_code=400)
    with pytest.raises(TransientError) as raised:
        analyze(image, source_for(image), settings, aws)
    assert not isinstance(raised.value, JobError)
    assert raised.value.details == {"operation": "DetectText", "aws_error": code}


def test_server_error_on_labels_is_transient(settings: Settings, aws: AwsClients, stubber: Stubber) -> None:
    image = photo(200, 200)
    stubber.add_response("detect_text", DETECT_TEXT)
    stubber.add_client_error("detect_labels", service_error_code="InternalServerError", http_status_code=500)
    with pytest.raises(TransientError):
        analyze(image, source_for(image), settings, aws)


@pytest.mark.parametrize("code", ["InvalidImageFormatException", "ImageTooLargeException", "InvalidS3ObjectException"])
def test_refused_image_is_a_permanent_job_error(
    settings: Settings, aws: AwsClients, stubber: Stubber, code: str
) -> None:
    image = photo(200, 200)
    stubber.add_client_error("detect_text", service_error_code=code, http_status_code=400, service_message="no")
    with pytest.raises(JobError) as raised:
        analyze(image, source_for(image), settings, aws)
    assert isinstance(raised.value, AnalysisInvalidImageError)
    assert raised.value.code == "analysis_invalid_image"
    assert code in raised.value.message


class _Throttling(BaseHTTPRequestHandler):
    """Rekognition's JSON protocol answering every call with ThrottlingException."""

    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_botocore_retries_throttling_then_it_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in EMULATOR_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        settings = Settings(analysis_engine="rekognition", aws_endpoint_url=url, aws_max_attempts=2)
        clients = AwsClients(settings)
        image = photo(200, 200)
        with pytest.raises(TransientError):
            analyze(image, source_for(image), settings, clients)
        # Every attempt was botocore's, none ours. (Its `max_attempts` counts retries after the first try, so
        # the configured aws_max_attempts=2 becomes total_max_attempts=3.)
        assert _Throttling.requests == clients.rekognition.meta.config.retries["total_max_attempts"] == 3  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


class _SlowClient:
    """Stands in for the client to observe how many calls are in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0

    def _call(self, response: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        return response

    def detect_text(self, **_: Any) -> dict[str, Any]:
        return self._call(DETECT_TEXT)

    def detect_labels(self, **_: Any) -> dict[str, Any]:
        return self._call(DETECT_LABELS)


def test_calls_in_flight_are_capped_per_process() -> None:
    settings = Settings(analysis_engine="rekognition", rekognition_max_concurrency=2)
    client = _SlowClient()
    image = photo(120, 120)
    source = source_for(image)
    threads = [
        threading.Thread(target=rek.analyze_rekognition, args=(image, source, settings, client)) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.peak == 2


def test_engine_off_sends_nothing(aws: AwsClients) -> None:
    settings = Settings(analysis_engine="off")
    image = photo(200, 200)
    result = analyze(image, source_for(image), settings, aws)
    assert result.engine == "off" and result.skipped_reason
