"""The one shape of an image analysis, whichever engine produced it: the job result's `analysis`. A job asks for
some features (`text`, `labels`, `moderation`, `faces`); each has one shape whatever the engine, and a feature an
engine cannot provide says so (`available: false` and why) rather than answering anything."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

Engine = Literal["rekognition", "local", "off"]


class AnalysisFeature(StrEnum):
    TEXT = "text"  # lines and words with boxes
    LABELS = "labels"  # objects and scenes (Rekognition only), with image properties
    MODERATION = "moderation"  # unsafe-content labels (Rekognition DetectModerationLabels only)
    FACES = "faces"  # face boxes (DetectFaces, or the local engine's detector); what gravity `faces` crops around


# What a job gets when it does not say: what every job got before jobs could choose.
DEFAULT_FEATURES: tuple[AnalysisFeature, ...] = (AnalysisFeature.TEXT, AnalysisFeature.LABELS)
Confidence = float  # 0-100, as Rekognition reports it; the local engine's 0-1 scores are scaled to match


class BoundingBox(BaseModel):
    """Axis-aligned box as ratios of the upright image's width and height (Rekognition's Geometry.BoundingBox)."""

    left: float = Field(ge=0, le=1)
    top: float = Field(ge=0, le=1)
    width: float = Field(ge=0, le=1)
    height: float = Field(ge=0, le=1)

    @classmethod
    def from_ratios(cls, left: float, top: float, width: float, height: float) -> BoundingBox:
        """Clamped into the image: services report boxes that overhang the edge by a little."""
        x0, y0 = _clamp(left), _clamp(top)
        x1, y1 = _clamp(left + width), _clamp(top + height)
        return cls(left=round(x0, 5), top=round(y0, 5), width=round(x1 - x0, 5), height=round(y1 - y0, 5))

    @classmethod
    def from_points(cls, points: list[tuple[float, float]], width: int, height: int) -> BoundingBox:
        """The box around pixel `points` (a quadrilateral from OCR) in an image of `width` x `height` px."""
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return cls.from_ratios(
            min(xs) / width, min(ys) / height, (max(xs) - min(xs)) / width, (max(ys) - min(ys)) / height
        )


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


class TextLine(BaseModel):
    text: str
    confidence: Confidence = Field(ge=0, le=100)
    box: BoundingBox


class TextWord(BaseModel):
    text: str
    confidence: Confidence = Field(ge=0, le=100)
    box: BoundingBox
    line: int | None = Field(description="Index into `lines` of the line this word belongs to.")


class LabelInstance(BaseModel):
    """Where one occurrence of a label's object is in the image (only some labels have instances)."""

    box: BoundingBox
    confidence: Confidence = Field(ge=0, le=100)


class Label(BaseModel):
    name: str
    confidence: Confidence = Field(ge=0, le=100)
    parents: list[str] = Field(default_factory=list, description="Ancestor labels, e.g. `Phone` for `Mobile Phone`.")
    aliases: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    instances: list[LabelInstance] = Field(default_factory=list)


class DominantColor(BaseModel):
    red: int = Field(ge=0, le=255)
    green: int = Field(ge=0, le=255)
    blue: int = Field(ge=0, le=255)
    hex: str = Field(description="`#rrggbb`, derived from red/green/blue.")
    simplified_color: str | None = Field(None, description="A coarse colour name (`red`, `blue`, `white`, ...).")
    css_color: str | None = Field(None, description="Nearest CSS colour name, when the engine reports one.")
    pixel_percent: float = Field(ge=0, le=100)

    @classmethod
    def of(
        cls,
        rgb: tuple[int, int, int],
        pixel_percent: float,
        *,
        simplified_color: str | None = None,
        css_color: str | None = None,
    ) -> DominantColor:
        r, g, b = (min(255, max(0, int(c))) for c in rgb)
        return cls(
            red=r,
            green=g,
            blue=b,
            hex=f"#{r:02x}{g:02x}{b:02x}",
            simplified_color=simplified_color or None,
            css_color=css_color or None,
            pixel_percent=round(min(100.0, max(0.0, pixel_percent)), 2),
        )


class ImageQuality(BaseModel):
    """0-100 each, higher = brighter / sharper / more contrast. Scales differ a little between engines."""

    brightness: float | None = Field(None, ge=0, le=100)
    sharpness: float | None = Field(None, ge=0, le=100)
    contrast: float | None = Field(None, ge=0, le=100)


class RegionProperties(BaseModel):
    quality: ImageQuality = Field(default_factory=ImageQuality)
    dominant_colors: list[DominantColor] = Field(default_factory=list)


class ImageProperties(BaseModel):
    quality: ImageQuality = Field(default_factory=ImageQuality)
    dominant_colors: list[DominantColor] = Field(default_factory=list)
    foreground: RegionProperties | None = Field(None, description="Rekognition only.")
    background: RegionProperties | None = Field(None, description="Rekognition only.")
    source: Literal["rekognition", "pixels"] = Field(
        description="`rekognition`: reported by the service; `pixels`: computed here from the image's pixels."
    )


class ModerationLabel(BaseModel):
    """One unsafe-content label of Rekognition's moderation taxonomy (e.g. `Explicit`, `Violence`)."""

    name: str
    confidence: Confidence = Field(ge=0, le=100)
    parent: str | None = Field(None, description="The label one level up the taxonomy; none at the top level.")
    level: int | None = Field(None, description="Taxonomy level: 1 is the broadest.")


class Moderation(BaseModel):
    available: bool = Field(
        description="Whether this engine checks for unsafe content; `false` says nothing about the image."
    )
    reason: str | None = Field(None, description="Why it is not available.")
    labels: list[ModerationLabel] = Field(
        default_factory=list, description="Unsafe-content labels found; empty when available and none was found."
    )
    model_version: str | None = None


class Face(BaseModel):
    box: BoundingBox
    confidence: Confidence = Field(ge=0, le=100)


class Faces(BaseModel):
    available: bool = Field(description="Whether this engine detects faces; `false` says nothing about the image.")
    reason: str | None = Field(None, description="Why it is not available.")
    faces: list[Face] = Field(default_factory=list, description="Faces found; empty when available and none found.")


class Analysis(BaseModel):
    """What the analysis found in one image: the features the job asked for."""

    engine: Engine
    features: list[AnalysisFeature] = Field(
        default_factory=lambda: list(DEFAULT_FEATURES),
        description="The features the job asked for; text and labels are empty when not asked for.",
    )
    skipped_reason: str | None = Field(
        None,
        description="Why the image was not analysed (too small or too thin, engine off); text and labels are then "
        "empty.",
    )
    full_text: str = Field("", description="The lines' text joined by newlines, top to bottom as the engine orders.")
    lines: list[TextLine] = Field(default_factory=list)
    words: list[TextWord] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    labels_note: str | None = Field(None, description="Why `labels` is empty by design, when it is.")
    properties: ImageProperties | None = None
    model_version: str | None = Field(None, description="Engine model versions, for comparing results over time.")
    moderation: Moderation | None = Field(None, description="When `moderation` was asked for.")
    faces: Faces | None = Field(None, description="When `faces` was asked for.")
    image_sent: Literal["s3_object", "bytes"] | None = Field(
        None, description="Rekognition: whether it read the S3 object or got re-encoded bytes."
    )
    omitted: str | None = Field(
        None, description="What was left out to keep the job record within DynamoDB's item size limit, if anything."
    )
    duration_ms: float = 0.0
