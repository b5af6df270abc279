"""The pyvips reference of bench/stage.py: the default recipe's outputs made by libvips alone.

pyvips (if installed; the worker depends on it for PNG decoding) runs with one libvips thread (VIPS_CONCURRENCY=1,
set before import; the worker runs jobs in parallel, so per-image CPU cost is what counts) and its operation cache
off. Importing the worker's PNG decoder blocks every libvips loader but PNG's (worker/stages/png.py); the reference
needs JPEG's too, so this module unblocks them for the benchmark's process (the product still calls its one loader
by name).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

os.environ.setdefault("VIPS_CONCURRENCY", "1")

from bench.common import photo_png

pyvips: Any
try:
    import pyvips

    import worker.stages.png  # noqa: F401  (its libvips settings first, then the reference's exception to them)

    pyvips.operation_block_set("VipsForeignLoad", False)
    pyvips.cache_set_max(0)  # repeated runs on the same bytes must not hit libvips' operation cache
except (ImportError, OSError):  # not installed, or no libvips
    pyvips = None

# The default recipe: three JPEG thumbnails (longest side) and a WebP of the 1024 px image.
SIZES = (1024, 512, 128)
OUTPUTS = ("thumb-1024.jpg", "thumb-512.jpg", "thumb-128.jpg", "processed.webp")
Outputs = dict[str, bytes]


def vips(data: bytes, *, effort: int = 0, strict: bool = False) -> Outputs:
    """pyvips' outputs. `strict`: fail_on=error (by default libvips decodes what it can of a damaged or truncated
    PNG, skipping chunk CRCs), and the SHA-256 of the upload: both as the product does."""
    assert pyvips is not None
    out: Outputs = {}
    if strict:
        hashlib.sha256(data).hexdigest()
    # Shrink-on-load and autorotate; rendered to memory once, since three outputs are made from it.
    load = "fail_on=error" if strict else ""
    image = pyvips.Image.thumbnail_buffer(data, 1024, size="down", option_string=load).copy_memory()
    for size in SIZES:
        if size != 1024:
            image = image.thumbnail_image(size, size="down")
        if image.hasalpha():
            image = image.flatten(background=[255, 255, 255])
        out[f"thumb-{size}.jpg"] = image.jpegsave_buffer(Q=85, keep="none")
        if size == 1024:
            out["processed.webp"] = image.webpsave_buffer(Q=80, effort=effort, keep="none")
    return out


def truncated_png() -> str:
    """What libvips makes of a PNG cut in half, by default and with fail_on=error (the `pyvips strict` row)."""
    assert pyvips is not None
    png, results = photo_png(400, 300), []
    for load in ("", "fail_on=error"):
        try:
            pyvips.Image.thumbnail_buffer(png[: len(png) // 2], 128, option_string=load).copy_memory()
            results.append("decodes")
        except pyvips.Error:
            results.append("fails")
    return f"a truncated PNG: pyvips by default {results[0]}, with fail_on=error {results[1]}"


def describe() -> str:
    """The versions and settings the pyvips rows ran with."""
    assert pyvips is not None
    version = ".".join(str(pyvips.version(i)) for i in range(3))
    return (
        f"pyvips {pyvips.__version__}, libvips {version}, VIPS_CONCURRENCY={os.environ['VIPS_CONCURRENCY']} "
        f"(threads per call: {pyvips.concurrency_get()}); {truncated_png()}"
    )
