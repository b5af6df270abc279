"""The Rekognition engine: DetectText, DetectLabels (labels and image properties), DetectModerationLabels and
DetectFaces, each called only for the features the job asked for, mapped into our shape.

Rekognition reads the uploaded S3 object itself when it can (JPEG/PNG up to 15 MB), which saves sending the
bytes; otherwise it gets a re-encoded JPEG of at most 5 MB. Throttling and 5xx are retried by botocore's retry
mode (core/aws.py); what still fails afterwards becomes a TransientError so the message is redelivered.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from core.analysis import (
    DEFAULT_FEATURES,
    Analysis,
    AnalysisFeature,
    BoundingBox,
    DominantColor,
    Face,
    Faces,
    ImageProperties,
    ImageQuality,
    Label,
    LabelInstance,
    Moderation,
    ModerationLabel,
    RegionProperties,
    TextLine,
    TextWord,
)
from core.config import MiB, Settings
from core.errors import AnalysisInvalidImageError, TransientError
from worker.analysis.features import unavailable
from worker.analysis.properties import pixel_properties
from worker.analysis.source import SourceImage
from worker.imaging import to_rgb

if TYPE_CHECKING:
    from mypy_boto3_rekognition.client import RekognitionClient
    from mypy_boto3_rekognition.type_defs import ImageTypeDef

# Fixed Rekognition Image quotas.
S3_OBJECT_MAX_BYTES = 15 * MiB
BYTES_MAX = 5 * MiB
MIN_SIDE = 80
S3_FORMATS = frozenset({"JPEG", "PNG"})

# The image itself is the problem: failing the job is right, a retry would get the same answer.
_PERMANENT_CODES = frozenset(
    {"InvalidImageFormatException", "ImageTooLargeException", "InvalidS3ObjectException", "InvalidParameterException"}
)

_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def _slot(limit: int) -> threading.BoundedSemaphore:
    """The process-wide cap on Rekognition calls in flight (one semaphore per configured limit)."""
    with _semaphores_lock:
        semaphore = _semaphores.get(limit)
        if semaphore is None:
            semaphore = _semaphores[limit] = threading.BoundedSemaphore(limit)
        return semaphore


SentAs = Literal["s3_object", "bytes"]


def image_argument(image: Image.Image, source: SourceImage) -> tuple[ImageTypeDef, SentAs]:
    """The DetectText/DetectLabels `Image`: a reference to the S3 object when Rekognition can read it as it is."""
    if (
        source.format.upper() in S3_FORMATS
        and source.size_bytes <= S3_OBJECT_MAX_BYTES
        # Boxes must be ratios of the upright image. Rekognition documents EXIF correction for JPEG labels only
        # (not for text, never for PNG), so an image stored rotated is sent upright as bytes instead.
        and source.exif_orientation == 1
    ):
        return {"S3Object": {"Bucket": source.bucket, "Name": source.key}}, "s3_object"
    return {"Bytes": encode_for_bytes(image)}, "bytes"


def encode_for_bytes(image: Image.Image, max_bytes: int = BYTES_MAX) -> bytes:
    """JPEG of the upright pixels, scaled down until it fits `max_bytes` (never below MIN_SIDE on a side)."""
    rgb = to_rgb(image)
    while True:
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=90)
        data = buffer.getvalue()
        scale = 0.75
        if len(data) <= max_bytes or min(rgb.size) * scale < MIN_SIDE:
            return data
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)


@contextmanager
def _translated_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", ""))
        details = {"operation": operation, "aws_error": code}
        if code in _PERMANENT_CODES:
            raise AnalysisInvalidImageError(
                f"Rekognition {operation} refused the image ({code}): {message}", details=details
            ) from exc
        # Throttling and 5xx arrive here only after botocore's retries are spent; AccessDenied and anything
        # unexpected are configuration problems: redelivery (and the DLQ after max_receive_count) keeps the job.
        raise TransientError(f"Rekognition {operation} failed ({code}): {message}", details=details) from exc
    except BotoCoreError as exc:  # connection errors and timeouts, after retries
        raise TransientError(f"Rekognition {operation} unreachable: {exc}", details={"operation": operation}) from exc


def analyze_rekognition(
    image: Image.Image,
    source: SourceImage,
    settings: Settings,
    client: RekognitionClient,
    features: Sequence[AnalysisFeature] = DEFAULT_FEATURES,
) -> Analysis:
    def too_small(width: int, height: int) -> Analysis:
        reason = f"image_too_small: {width}x{height} px; Rekognition needs at least {MIN_SIDE} px on each side"
        return Analysis(
            engine="rekognition",
            skipped_reason=reason,
            properties=pixel_properties(image, settings.analysis_max_dominant_colors),
            **unavailable(features, reason),
        )

    if min(source.width, source.height) < MIN_SIDE:
        return too_small(source.width, source.height)
    image_arg, sent_as = image_argument(image, source)
    if sent_as == "bytes" and min(image.size) < MIN_SIDE:
        # Bytes are of the (smaller) rendition: a long, thin image can fall under the minimum only there.
        return too_small(*image.size)
    slot = _slot(settings.rekognition_max_concurrency)
    lines: list[TextLine] = []
    words: list[TextWord] = []
    labels: list[Label] = []
    properties: ImageProperties | None = None
    versions: list[str] = []
    if AnalysisFeature.TEXT in features:
        with slot, _translated_errors("DetectText"):
            text = client.detect_text(
                Image=image_arg, Filters={"WordFilter": {"MinConfidence": settings.analysis_word_min_confidence}}
            )
        lines, words = map_text_detections(text.get("TextDetections", []))
        versions += [f"text {text['TextModelVersion']}"] if text.get("TextModelVersion") else []
    if AnalysisFeature.LABELS in features:
        with slot, _translated_errors("DetectLabels"):
            found = client.detect_labels(
                Image=image_arg,
                MaxLabels=settings.analysis_max_labels,
                MinConfidence=settings.analysis_min_confidence,
                Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"],
                Settings={"ImageProperties": {"MaxDominantColors": settings.analysis_max_dominant_colors}},
            )
        labels = [map_label(raw) for raw in found.get("Labels", [])]
        properties = map_image_properties(found.get("ImageProperties"))
        versions += [f"labels {found['LabelModelVersion']}"] if found.get("LabelModelVersion") else []
    moderation = faces = None
    if AnalysisFeature.MODERATION in features:
        with slot, _translated_errors("DetectModerationLabels"):
            unsafe = client.detect_moderation_labels(Image=image_arg, MinConfidence=settings.analysis_min_confidence)
        moderation = map_moderation(unsafe)
    if AnalysisFeature.FACES in features:
        with slot, _translated_errors("DetectFaces"):
            faces = map_faces(client.detect_faces(Image=image_arg, Attributes=["DEFAULT"]))
    if properties is None:  # labels not asked for, or moto's canned answer: what the pixels say, and it says so
        properties = pixel_properties(image, settings.analysis_max_dominant_colors)
    return Analysis(
        engine="rekognition",
        full_text="\n".join(line.text for line in lines),
        lines=lines,
        words=words,
        labels=labels,
        properties=properties,
        moderation=moderation,
        faces=faces,
        model_version=", ".join(versions) or None,
        image_sent=sent_as,
    )


def map_moderation(response: Mapping[str, Any]) -> Moderation:
    """DetectModerationLabels -> the moderation result (ParentName is "" at the taxonomy's top level)."""
    return Moderation(
        available=True,
        labels=[
            ModerationLabel(
                name=raw.get("Name", ""),
                confidence=_confidence(raw),
                parent=raw.get("ParentName") or None,
                level=raw.get("TaxonomyLevel"),
            )
            for raw in response.get("ModerationLabels", [])
        ],
        model_version=response.get("ModerationModelVersion"),
    )


def map_faces(response: Mapping[str, Any]) -> Faces:
    """DetectFaces -> face boxes (ratios of the upright image, as every box here) and confidences."""
    return Faces(
        available=True,
        faces=[
            Face(box=_box(raw.get("BoundingBox")), confidence=_confidence(raw))
            for raw in response.get("FaceDetails", [])
        ],
    )


def _box(raw: Mapping[str, Any] | None) -> BoundingBox:
    raw = raw or {}
    return BoundingBox.from_ratios(
        float(raw.get("Left", 0)), float(raw.get("Top", 0)), float(raw.get("Width", 0)), float(raw.get("Height", 0))
    )


def _confidence(raw: Mapping[str, Any]) -> float:
    return round(min(100.0, max(0.0, float(raw.get("Confidence", 0)))), 3)


def map_text_detections(detections: list[Any]) -> tuple[list[TextLine], list[TextWord]]:
    """LINE and WORD detections -> lines, and words that point at their line through ParentId."""
    lines: list[TextLine] = []
    line_index: dict[int, int] = {}
    for det in detections:
        if det.get("Type") == "LINE":
            if "Id" in det:
                line_index[int(det["Id"])] = len(lines)
            lines.append(
                TextLine(
                    text=det.get("DetectedText", ""),
                    confidence=_confidence(det),
                    box=_box(det.get("Geometry", {}).get("BoundingBox")),
                )
            )
    words = [
        TextWord(
            text=det.get("DetectedText", ""),
            confidence=_confidence(det),
            box=_box(det.get("Geometry", {}).get("BoundingBox")),
            line=line_index.get(int(det["ParentId"])) if "ParentId" in det else None,
        )
        for det in detections
        if det.get("Type") == "WORD"
    ]
    return lines, words


def map_label(raw: Mapping[str, Any]) -> Label:
    return Label(
        name=raw.get("Name", ""),
        confidence=_confidence(raw),
        parents=[p["Name"] for p in raw.get("Parents", []) if p.get("Name")],
        aliases=[a["Name"] for a in raw.get("Aliases", []) if a.get("Name")],
        categories=[c["Name"] for c in raw.get("Categories", []) if c.get("Name")],
        instances=[
            LabelInstance(box=_box(i.get("BoundingBox")), confidence=_confidence(i)) for i in raw.get("Instances", [])
        ],
    )


def _colors(raw: list[Any] | None) -> list[DominantColor]:
    return [
        DominantColor.of(
            (int(c.get("Red", 0)), int(c.get("Green", 0)), int(c.get("Blue", 0))),
            float(c.get("PixelPercent", 0)),
            simplified_color=c.get("SimplifiedColor"),
            css_color=c.get("CSSColor"),
        )
        for c in raw or []
    ]


def _quality(raw: Mapping[str, Any] | None) -> ImageQuality:
    raw = raw or {}

    def value(name: str) -> float | None:
        return round(min(100.0, max(0.0, float(raw[name]))), 2) if name in raw else None

    return ImageQuality(brightness=value("Brightness"), sharpness=value("Sharpness"), contrast=value("Contrast"))


def _region(raw: Mapping[str, Any] | None) -> RegionProperties | None:
    if not raw:
        return None
    return RegionProperties(quality=_quality(raw.get("Quality")), dominant_colors=_colors(raw.get("DominantColors")))


def map_image_properties(raw: Mapping[str, Any] | None) -> ImageProperties | None:
    if not raw or not (raw.get("Quality") or raw.get("DominantColors")):
        return None
    return ImageProperties(
        quality=_quality(raw.get("Quality")),
        dominant_colors=_colors(raw.get("DominantColors")),
        foreground=_region(raw.get("Foreground")),
        background=_region(raw.get("Background")),
        source="rekognition",
    )
