"""libvips as the worker uses it: pinned settings, and lanczos3 resizes (worker/stages/png.py decodes through one;
renditions.py makes its later reductions with one).

Settings, process-wide, applied on import: one PNG loader reachable, called by name (never new_from_buffer's
sniffing: every other loader is blocked, and so are the untrusted ones): the one reading a source, which png.py makes
over the upload's own bytes (the buffer loader would copy them first); no operation cache (each job's pixels are new,
and a cache would hold them); one thread per call (the worker runs jobs on its own threads: libvips' pool would only
compete with them). Calls into libvips release the GIL (cffi), so the worker's threads run them side by side.
"""

from __future__ import annotations

import pyvips
from PIL import Image

pyvips.block_untrusted_set(True)
pyvips.operation_block_set("VipsForeignLoad", True)
pyvips.operation_block_set("VipsForeignLoadPngSource", False)
pyvips.cache_set_max(0)
pyvips.concurrency_set(1)

# Pillow's 8-bit modes libvips resizes here, and their band counts.
BANDS = {"L": 1, "RGB": 3, "RGBA": 4}


def resized(image: pyvips.Image, size: tuple[int, int], gap: float = 2.0) -> pyvips.Image:
    """`image` resized to exactly `size` with lanczos3, after a box shrink by the integer factor that leaves at least
    `gap` to lanczos3 (libvips' default 2.0); RGBA premultiplied first, as Pillow's resize does, so transparent
    pixels' colours do not bleed into their neighbours."""
    options = {"vscale": size[1] / image.height, "kernel": "lanczos3", "gap": gap}
    scale = size[0] / image.width
    if image.bands != 4:
        return image.resize(scale, **options)
    # Premultiplied in 8 bits, as Pillow's RGBa and libvips' own thumbnail do: premultiply() gives floats, and
    # resizing those would cost twice the CPU and, on a 100 MP image, 150 MiB more of row buffers.
    premultiplied = image.premultiply().cast("uchar")
    return premultiplied.resize(scale, **options).unpremultiply().cast("uchar")


def to_pillow(image: pyvips.Image, mode: str) -> Image.Image:
    """The pixels of `image` (computed here: where libvips raises pyvips.Error) in a Pillow image of `mode`."""
    pixels = image.write_to_memory()
    return Image.frombuffer(mode, (image.width, image.height), pixels, "raw", mode, 0, 1)


def reduced(image: Image.Image, size: tuple[int, int]) -> Image.Image | None:
    """An 8-bit L, RGB or RGBA Pillow `image` reduced to `size` by libvips (SIMD lanczos3: about half of Pillow's
    LANCZOS CPU for the 512 and 128 px renditions, bench/README.md 1b); None for other modes or an enlargement."""
    bands = BANDS.get(image.mode)
    if bands is None or size[0] > image.width or size[1] > image.height or size == image.size:
        return None
    source = pyvips.Image.new_from_memory(image.tobytes(), image.width, image.height, bands, "uchar")
    # gap 3: the 128 px thumbnail (4x from 512) all lanczos3, no box step: its SSIM vs the ideal 0.9997 (2.0: 0.9991)
    # for the same CPU on images this small.
    return to_pillow(resized(source, size, gap=3.0), image.mode)
