"""A job result that carries an analysis, for tests of the store and the API's view of it."""

from __future__ import annotations

from core.analysis import Analysis, BoundingBox, DominantColor, ImageProperties, ImageQuality, TextLine, TextWord
from tests.support import RESULT

# A result with an analysis: floats at every level (confidences, ratios, percentages) and optional parts set and
# unset, so a round trip through the store shows the typed analysis comes back whole.
RESULT_WITH_ANALYSIS = RESULT.model_copy(
    update={
        "analysis": Analysis(
            engine="local",
            full_text="OPEN 24",
            lines=[TextLine(text="OPEN 24", confidence=98.125, box=BoundingBox.from_ratios(0.1, 0.2, 0.33333, 0.05))],
            words=[
                TextWord(text="OPEN", confidence=99.5, box=BoundingBox.from_ratios(0.1, 0.2, 0.15, 0.05), line=0),
                TextWord(text="24", confidence=97.75, box=BoundingBox.from_ratios(0.3, 0.2, 0.1, 0.05), line=None),
            ],
            labels_note="no labels here",
            properties=ImageProperties(
                quality=ImageQuality(brightness=61.3, sharpness=None, contrast=72.55),
                dominant_colors=[DominantColor.of((250, 250, 245), 58.123, simplified_color="white")],
                source="pixels",
            ),
            model_version="rapidocr test",
            duration_ms=12.3,
        )
    }
)
