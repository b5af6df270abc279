"""The local engine's face detector (RetinaFace shipped in the package) on a real face and on faceless images."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from core.analysis import BoundingBox, Face
from harness.images import edge_bands, photo
from tests.support import face_portrait, wide_with_face
from worker.analysis.faces import MAX_SIDE, MODEL, detect_faces

pytest.importorskip("onnxruntime", reason="the local engine needs the `ocr` extra: pip install -e '.[ocr]'")


def _centre(box: BoundingBox) -> tuple[float, float]:
    return box.left + box.width / 2, box.top + box.height / 2


def _one_face_near(faces: list[Face], x: float, y: float, width: float) -> None:
    [face] = faces
    cx, cy = _centre(face.box)
    assert abs(cx - x) < 0.05 and abs(cy - y) < 0.08, face
    assert 0.7 * width < face.box.width < 1.3 * width, face
    assert face.confidence > 90


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
def test_the_face_in_a_portrait_is_found_where_it_is(mode: str) -> None:
    # The astronaut's face spans about 0.27-0.69 across and 0.16-0.72 down the portrait (tests/data/README.md).
    _one_face_near(detect_faces(face_portrait().convert(mode)), 0.48, 0.44, 0.42)


def test_a_face_in_a_large_wide_image_is_found_on_the_small_copy() -> None:
    """A 12 MP 3:1 image is searched at MAX_SIDE px: the face, a third of its height, is still found, at the same
    place as a ratio of the image."""
    wide = wide_with_face(6000, 2000)
    assert max(wide.size) > 4 * MAX_SIDE
    # Portrait at x 0.02-0.353 of the width: its face centre is at 0.02 + 0.48 / 3.
    _one_face_near(detect_faces(wide), 0.02 + 0.48 / 3, 0.44, 0.42 / 3)


@pytest.mark.parametrize(
    "image",
    [photo(640, 480), edge_bands(1200, 400), Image.new("RGB", (1, 1)), photo(33, 7), Image.new("LA", (300, 100))],
    ids=["photo", "bands", "one-pixel", "tiny", "grey-alpha"],
)
def test_an_image_without_a_face_has_none(image: Image.Image) -> None:
    assert detect_faces(image) == []


def test_a_missing_face_model_is_reported_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from core.config import Settings
    from worker.analysis import OcrUnavailableError, local, prepare

    monkeypatch.setattr(local, "FACE_MODEL", tmp_path / "retinaface_mobilenet025.onnx")
    with pytest.raises(OcrUnavailableError, match="face model"):
        prepare(Settings(analysis_engine="local"))


def test_the_face_model_is_package_data() -> None:
    """The images install imgpipe from a wheel: the model must be in it, not only in the source tree."""
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["worker.analysis"]
    relative = MODEL.relative_to(Path(__file__).parents[3] / "worker" / "analysis").as_posix()
    assert MODEL.is_file() and any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)
