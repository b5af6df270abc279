"""The page's byte check (api/static/assets/client.js sniffType) names the same type as core/formats.py does, the
check the worker and the CLI run, for every format and for files that are none of them."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from core.config import FORMAT_CONTENT_TYPES
from core.formats import HEAD_BYTES, sniff_format
from harness.images import encode, heic, photo

CLIENT_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "assets" / "client.js"


def _samples() -> dict[str, bytes]:
    image = photo(32, 24)
    samples = {fmt: encode(image, fmt) for fmt in ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "AVIF")}
    samples |= {
        "HEIC": heic(32, 24, orientation=6),
        "TIFF big-endian": b"MM\x00*\x00\x00\x00\x08",
        "iPhone HEIC header": b"\x00\x00\x00\x24ftypheic\x00\x00\x00\x00mif1MiHEmiafMiHBheic\x00\x00\x0f\xe8meta",
        "AVIF under mif1": b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf",
        "MP4 video": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
        "text": b"just some text",
        "empty": b"",
    }
    return samples


def test_page_and_worker_name_the_same_type(page: Any) -> None:
    module = "data:text/javascript;base64," + base64.b64encode(CLIENT_JS.read_bytes()).decode()
    samples = _samples()
    found = page.evaluate(
        """async ([module, samples]) => {
            const { sniffType } = await import(module);
            const out = {};
            for (const [name, b64] of Object.entries(samples)) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                out[name] = await sniffType(new File([bytes], "upload.bin"));
            }
            return out;
        }""",
        [module, {name: base64.b64encode(data).decode() for name, data in samples.items()}],
    )
    expected = {}
    for name, data in samples.items():
        fmt = sniff_format(data[:HEAD_BYTES])
        expected[name] = FORMAT_CONTENT_TYPES[fmt] if fmt else ""
    assert found == expected
    assert expected["HEIC"] == "image/heic" and expected["AVIF"] == "image/avif" and expected["text"] == ""
