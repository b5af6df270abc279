"""The analysis stage's entry point: one function the pipeline calls, the engine chosen by settings."""

from __future__ import annotations

import json
from collections.abc import Sequence

from PIL import Image

from core.analysis import DEFAULT_FEATURES, Analysis, AnalysisFeature, TextLine
from core.aws import AwsClients
from core.config import Settings
from core.metrics import Stopwatch
from worker.analysis.features import unavailable
from worker.analysis.source import SourceImage


def analyze(
    image: Image.Image,
    source: SourceImage,
    settings: Settings,
    clients: AwsClients,
    features: Sequence[AnalysisFeature] = DEFAULT_FEATURES,
) -> Analysis:
    """The asked `features` (text, labels, moderation, faces) and image properties of one upload.

    `image` is the decoded, EXIF-upright picture (any size: boxes are ratios); `source` is the original upload.
    Raises AnalysisInvalidImageError (a JobError: the job fails) when the service refuses the image, and
    TransientError (leave the message for redelivery) when the service is unavailable after retries.
    `duration_ms` is measured here, for every engine alike.
    """
    features = list(dict.fromkeys(features))
    if not features:
        return Analysis(engine=settings.analysis_engine, features=[], skipped_reason="the job asked for no analysis")
    if settings.analysis_engine == "rekognition":
        from worker.analysis.rekognition import analyze_rekognition

        clock = Stopwatch()
        analysis = analyze_rekognition(image, source, settings, clients.rekognition, features)
    elif settings.analysis_engine == "local":
        from worker.analysis.local import analyze_local

        clock = Stopwatch()
        analysis = analyze_local(image, settings, features)
    else:
        reason = "analysis_engine is off"
        return Analysis(engine="off", features=features, skipped_reason=reason, **unavailable(features, reason))
    return analysis.model_copy(update={"features": features, "duration_ms": clock.ms()})


def prepare(settings: Settings) -> None:
    """Call at worker start: fails fast when analysis_engine=local but the `ocr` extra is missing. The models
    themselves load on the first image (about a second) and stay for the life of the process."""
    if settings.analysis_engine == "local":
        from worker.analysis.local import check_available

        check_available(settings)


# A job record is one DynamoDB item (400 KB at most, everything included); the analysis may use this much of it.
STORED_MAX_BYTES = 300_000


def _json_size(value: Analysis | list[TextLine]) -> int:
    """The length of `value` as core/items.py stores it (compact JSON)."""
    data = [v.model_dump(mode="json") for v in value] if isinstance(value, list) else value.model_dump(mode="json")
    return len(json.dumps(data, separators=(",", ":")))


def stored_analysis(analysis: Analysis, max_bytes: int = STORED_MAX_BYTES) -> Analysis:
    """The analysis as the job record keeps it. A page dense with text can exceed the item limit: then the per-word
    list goes first (lines keep the text), then lines from the end, and `omitted` says so."""
    if _json_size(analysis) <= max_bytes:
        return analysis
    omitted = f"all {len(analysis.words)} words (the lines carry the same text)"
    stored = analysis.model_copy(update={"words": [], "omitted": omitted})
    lines = list(stored.lines)
    dropped = 0
    while lines and _json_size(stored) > max_bytes:
        # About the overshoot's worth of lines per pass rather than one by one: a few passes, not thousands.
        excess = _json_size(stored) - max_bytes
        per_line = max(1, _json_size(lines) // len(lines))
        cut = min(len(lines), max(1, excess // per_line + 1))
        del lines[len(lines) - cut :]
        dropped += cut
        stored = stored.model_copy(update={"lines": list(lines), "full_text": "\n".join(line.text for line in lines)})
    if dropped:
        stored = stored.model_copy(update={"omitted": f"{omitted} and the last {dropped} lines"})
    return stored
