"""What the smart crop costs per image, for bench/stage.py's tables: each gravity timed on one decoded image."""

from __future__ import annotations

from PIL import Image

from core.analysis import BoundingBox
from core.metrics import Stopwatch
from core.recipes import Gravity
from worker.crop import crop_box

# One face, for timing the `faces` placement (the faces themselves come from the analysis: DetectFaces in AWS).
_A_FACE = (BoundingBox(left=0.6, top=0.3, width=0.1, height=0.15),)


def crop_costs(image: Image.Image, width: int = 1, height: int = 1, repeats: int = 3) -> dict[str, float]:
    """Gravity -> best of `repeats` milliseconds of crop_box on `image` (decoded already: decoding is not counted)
    for a width:height crop. `faces` is timed with one face given, as the renderer calls it after the analysis;
    finding the faces is the analysis' cost (Rekognition DetectFaces), not the crop's."""
    costs: dict[str, float] = {}
    for gravity in Gravity:
        faces = _A_FACE if gravity is Gravity.FACES else None
        best = float("inf")
        for _ in range(repeats):
            clock = Stopwatch()
            crop_box(image, width, height, gravity, faces=faces)
            best = min(best, clock.ms())
        costs[gravity.value] = best
    return costs
