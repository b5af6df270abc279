"""The analysis stage's entry point: one function the pipeline calls, the engine chosen by settings."""

from __future__ import annotations

import json
from typing import Any

from PIL import Image

from core.analysis import Analysis
from core.aws import AwsClients
from core.config import Settings
from worker.analysis.source import SourceImage


def analyze(image: Image.Image, source: SourceImage, settings: Settings, clients: AwsClients) -> Analysis:
    """Text, labels and image properties of one upload.

    `image` is the decoded, EXIF-upright picture (any size: boxes are ratios); `source` is the original upload.
    Raises AnalysisInvalidImageError (a JobError: the job fails) when the service refuses the image, and
    TransientError (leave the message for redelivery) when the service is unavailable after retries.
    """
    if settings.analysis_engine == "rekognition":
        from worker.analysis.rekognition import analyze_rekognition

        return analyze_rekognition(image, source, settings, clients.rekognition)
    if settings.analysis_engine == "local":
        from worker.analysis.local import analyze_local

        return analyze_local(image, settings)
    return Analysis(engine="off", skipped_reason="analysis_engine is off")


def prepare(settings: Settings) -> None:
    """Call at worker start: fails fast when analysis_engine=local but the `ocr` extra is missing. The models
    themselves load on the first image (about a second) and stay for the life of the process."""
    if settings.analysis_engine == "local":
        from worker.analysis.local import check_available

        check_available(settings)


# A job record is one DynamoDB item (400 KB at most, everything included); the analysis may use this much of it.
STORED_MAX_BYTES = 300_000


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def stored_analysis(analysis: Analysis, max_bytes: int = STORED_MAX_BYTES) -> dict[str, Any]:
    """The analysis as the job record keeps it (JSON types). A page dense with text can exceed the item limit:
    then the per-word list goes first (lines keep the text), then lines from the end, and `omitted` says so."""
    stored = analysis.model_dump(mode="json")
    if _json_size(stored) <= max_bytes:
        return stored
    words = len(stored["words"])
    stored["words"] = []
    stored["omitted"] = f"all {words} words (the lines carry the same text)"
    lines = stored["lines"]
    dropped = 0
    while lines and _json_size(stored) > max_bytes:
        # About the overshoot's worth of lines per pass rather than one by one: a few passes, not thousands.
        excess = _json_size(stored) - max_bytes
        per_line = max(1, _json_size(lines) // len(lines))
        cut = min(len(lines), max(1, excess // per_line + 1))
        del lines[len(lines) - cut :]
        dropped += cut
        stored["full_text"] = "\n".join(line["text"] for line in lines)
    if dropped:
        stored["omitted"] += f" and the last {dropped} lines"
    return stored
