"""What the job record keeps of an analysis: everything when it fits, and a marked, trimmed copy when a page dense
with text would push the record past DynamoDB's item size."""

from __future__ import annotations

import json

from core.analysis import Analysis, BoundingBox, TextLine, TextWord
from worker.analysis import stored_analysis

BOX = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.05)


def dense_page(lines: int, words_per_line: int) -> Analysis:
    text_lines = [" ".join(f"word{i}x{j}" for j in range(words_per_line)) for i in range(lines)]
    return Analysis(
        engine="local",
        full_text="\n".join(text_lines),
        lines=[TextLine(text=t, confidence=99.0, box=BOX) for t in text_lines],
        words=[TextWord(text=w, confidence=98.5, box=BOX, line=i) for i, t in enumerate(text_lines) for w in t.split()],
    )


def size(stored: Analysis) -> int:
    return len(json.dumps(stored.model_dump(mode="json"), separators=(",", ":")))


def test_a_result_that_fits_is_kept_whole() -> None:
    analysis = dense_page(5, 4)
    stored = stored_analysis(analysis)
    assert stored == analysis and stored.omitted is None


def test_words_go_first_when_the_record_would_be_too_large() -> None:
    analysis = dense_page(40, 10)
    whole = size(analysis)
    without_words = size(analysis.model_copy(update={"words": []}))
    stored = stored_analysis(analysis, max_bytes=(whole + without_words) // 2)
    assert stored.words == [] and len(stored.lines) == 40
    assert stored.full_text == analysis.full_text
    assert stored.omitted == "all 400 words (the lines carry the same text)"


def test_then_the_last_lines() -> None:
    analysis = dense_page(200, 10)
    stored = stored_analysis(analysis, max_bytes=20_000)
    assert size(stored) <= 20_000
    kept = len(stored.lines)
    assert 0 < kept < 200
    assert stored.lines == analysis.lines[:kept]
    assert stored.full_text == "\n".join(line.text for line in analysis.lines[:kept])
    assert stored.omitted == f"all 2000 words (the lines carry the same text) and the last {200 - kept} lines"
    assert len(analysis.lines) == 200 and len(analysis.words) == 2000  # the engine's own result is not changed
