"""Text and label extraction: one stage, two engines (Rekognition in AWS, offline OCR locally), one result shape."""

from core.analysis import (
    Analysis,
    BoundingBox,
    DominantColor,
    ImageProperties,
    ImageQuality,
    Label,
    LabelInstance,
    RegionProperties,
    TextLine,
    TextWord,
)
from worker.analysis.local import OcrUnavailableError
from worker.analysis.source import SourceImage
from worker.analysis.stage import analyze, prepare, stored_analysis

__all__ = [
    "Analysis",
    "BoundingBox",
    "DominantColor",
    "ImageProperties",
    "ImageQuality",
    "Label",
    "LabelInstance",
    "OcrUnavailableError",
    "RegionProperties",
    "SourceImage",
    "TextLine",
    "TextWord",
    "analyze",
    "prepare",
    "stored_analysis",
]
