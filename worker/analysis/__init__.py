"""Text and label extraction: one stage, two engines (Rekognition in AWS, offline OCR locally), one result shape.

The result's models live in core.analysis (the API reads them too).
"""

from worker.analysis.local import OcrUnavailableError
from worker.analysis.source import SourceImage
from worker.analysis.stage import analyze, prepare, stored_analysis

__all__ = ["OcrUnavailableError", "SourceImage", "analyze", "prepare", "stored_analysis"]
