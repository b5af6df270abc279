"""`imgpipe submit --output SPEC`: a rendition written compactly on the command line, or as JSON.

    NAME:SIZE[:WORD...]    SIZE is WxH, Wx (width only) or xH (height only); each WORD is a fit (inside, contain,
                           cover, fill), a format (jpeg, webp, avif, png), a gravity (center, entropy, attention,
                           faces) or qN (quality N), in any order. Without a format word, the name's extension
                           decides (.jpg/.jpeg, .webp, .avif, .png).
    {"name": ...}          the JSON object POST /v1/jobs takes in `outputs`.

Examples: `avatar.webp:256x256:cover`, `hero:2000x:avif:q55`, `banner.png:1200x300:fill`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from core.recipes import Fit, Gravity, OutputFormat, Rendition

_EXTENSIONS = {"jpg": "jpeg", "jpeg": "jpeg", "webp": "webp", "avif": "avif", "png": "png"}
_SIZE = re.compile(r"^(\d*)x(\d*)$")
_QUALITY = re.compile(r"^q(\d+)$")


class SpecError(ValueError):
    """The spec cannot be read, or is not a valid rendition; the message says why."""


def _words(name: str, words: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}

    def put(field: str, value: Any, word: str) -> None:
        if field in fields:
            raise SpecError(f"{word!r}: `{field}` given twice")
        fields[field] = value

    for word in words:
        lower = word.lower()
        quality = _QUALITY.match(lower)
        if lower in Fit.__members__.values():
            put("fit", lower, word)
        elif lower in OutputFormat.__members__.values() or lower == "jpg":
            put("format", _EXTENSIONS.get(lower, lower), word)
        elif lower in Gravity.__members__.values():
            put("gravity", lower, word)
        elif quality:
            put("quality", int(quality.group(1)), word)
        else:
            raise SpecError(f"{word!r} is not a fit, format, gravity or qN (quality)")
    if "format" not in fields:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in _EXTENSIONS:
            raise SpecError(f"{name!r}: add a format (jpeg, webp, avif, png) or a name ending in one's extension")
        fields["format"] = _EXTENSIONS[extension]
    return fields


def parse_output_spec(spec: str) -> Rendition:
    """The rendition `spec` describes (the module's docstring has the syntax); raises SpecError."""
    if spec.lstrip().startswith("{"):
        try:
            fields = json.loads(spec)
        except json.JSONDecodeError as exc:
            raise SpecError(f"not valid JSON: {exc}") from None
    else:
        name, _, rest = spec.partition(":")
        size, *words = rest.split(":") if rest else ("",)
        dimensions = _SIZE.match(size)
        if not dimensions or dimensions.group(1) == dimensions.group(2) == "":
            raise SpecError(f"{spec!r}: expected NAME:WxH[:WORD...] (e.g. avatar.webp:256x256:cover) or JSON")
        width, height = (int(d) if d else None for d in dimensions.groups())
        fields = {"name": name, **_words(name, words)}
        fields.update({k: v for k, v in (("width", width), ("height", height)) if v is not None})
    try:
        return Rendition.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'output'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise SpecError(f"{spec!r}: {problems}") from None
