"""Scoring for bench/ocr_accuracy.py: word recall and precision, a character figure, and where the missed words
went (a whole line not found, a wrong split at a space, or wrong characters)."""

from __future__ import annotations

import difflib
import time
from collections import Counter
from dataclasses import dataclass, field

from PIL import Image

from core.analysis import Analysis
from core.config import Settings
from worker.analysis.local import analyze_local


@dataclass
class Sample:
    name: str
    image: Image.Image
    lines: list[str]
    large: bool = False
    # Condition name -> level (photo-like set: "size" -> "16 px", ...), for the per-condition rows.
    conditions: dict[str, str] = field(default_factory=dict)

    @property
    def words(self) -> list[str]:
        return [w for line in self.lines for w in line.split()]


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _matched(expected: str, got: str) -> int:
    blocks = difflib.SequenceMatcher(None, expected, got, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks)


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    predicted: int = 0
    chars: int = 0
    chars_matched: int = 0
    # Missed words by cause: "line" (no line read resembles it), "space" (its characters were read, split or
    # joined wrongly at a space), "chars" (wrong characters).
    lost: Counter[str] = field(default_factory=Counter)

    def add(self, sample: Sample, analysis: Analysis) -> list[str]:
        """Score one image; returns the words missed."""
        want, got = Counter(sample.words), Counter(w.text for w in analysis.words)
        hits = want & got
        self.expected += want.total()
        self.found += hits.total()
        self.predicted += got.total()
        read = [_squeeze(line.text) for line in analysis.lines]
        # Characters, spaces aside (those are the word figure's business): matched in reading order.
        self.chars += sum(len(_squeeze(line)) for line in sample.lines)
        self.chars_matched += _matched("".join(_squeeze(line) for line in sample.lines), "".join(read))
        missed = want - got
        for line in sample.lines:
            expected = _squeeze(line)
            best = max((difflib.SequenceMatcher(None, expected, r, autojunk=False).ratio() for r in read), default=0.0)
            for word in line.split():
                if missed[word] <= 0:
                    continue
                missed[word] -= 1
                if best < 0.5:
                    self.lost["line"] += 1
                elif any(word in r for r in read):
                    self.lost["space"] += 1
                else:
                    self.lost["chars"] += 1
        return sorted((want - got).elements())

    def merge(self, other: Score) -> None:
        self.expected += other.expected
        self.found += other.found
        self.predicted += other.predicted
        self.chars += other.chars
        self.chars_matched += other.chars_matched
        self.lost.update(other.lost)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.found / self.predicted if self.predicted else 1.0

    @property
    def char_recall(self) -> float:
        return self.chars_matched / self.chars if self.chars else 1.0

    def summary(self) -> str:
        causes = ", ".join(f"{k} {self.lost[k]}" for k in ("line", "space", "chars") if self.lost[k]) or "none"
        return (
            f"words {self.expected:4d}  recall {self.recall:.3f}  precision {self.precision:.3f}  "
            f"chars {self.char_recall:.3f}  missed: {causes}"
        )


@dataclass
class Timed:
    """Per image: wall time of the first call, best wall time of the repeats, least CPU time."""

    score: Score = field(default_factory=Score)
    per_sample: list[Score] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run(samples: list[Sample], settings: Settings, verbose: bool, repeat: int) -> Timed:
    """Score every sample, `repeat` calls each (with one onnxruntime thread, CPU time is what the call takes when
    no other process competes)."""
    result = Timed()
    for sample in samples:
        times, cpu_times = [], []
        for _ in range(max(1, repeat)):
            started, cpu_started = time.perf_counter(), time.process_time()
            analysis = analyze_local(sample.image, settings)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
        result.first.append(times[0])
        result.best.append(min(times))
        result.cpu.append(min(cpu_times))
        one = Score()
        missed = one.add(sample, analysis)
        result.per_sample.append(one)
        result.score.merge(one)
        if verbose or missed:
            read = " | ".join(line.text for line in analysis.lines)
            print(f"  {sample.name}: {times[0]:.0f} ms, missed {missed}, read: {read}")
    return result
