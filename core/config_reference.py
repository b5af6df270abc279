"""The configuration reference: a Markdown table of every setting, generated from the Settings class.

README.md carries it between two markers; `imgpipe config-reference --write README.md` regenerates it and a test
fails when it drifts. Pure functions: no environment is read, so the output is the same on every machine.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from core.config import Settings

START_MARKER = "<!-- config-reference:start -->"
END_MARKER = "<!-- config-reference:end -->"

_HEADER = "| variable | type | default | what it does |\n|---|---|---|---|\n"


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(f"`{v}`" for v in get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in get_args(annotation) else "")
    if origin in (list, set, frozenset):
        (item,) = get_args(annotation) or (Any,)
        return f"JSON list of {_type_name(item)}"
    if origin is dict:
        _, value = get_args(annotation) or (Any, Any)
        return f"JSON object of {_type_name(value)}"
    return {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        SecretStr: "secret string",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(info: FieldInfo) -> str:
    parts: list[str] = []
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            parts.append(f"≤ {item.le}")
        elif isinstance(item, annotated_types.Lt):
            parts.append(f"< {item.lt}")
    return f", {' and '.join(parts)}" if parts else ""


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, BaseModel):  # only what differs from the model's defaults: short enough for a table
        return value.model_dump(mode="json", exclude_defaults=True)
    return value


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = _plain(info.get_default(call_default_factory=True, validated_data={}))
    if value is None:
        return "unset"
    if isinstance(value, str):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_reference(settings_cls: type[BaseModel] = Settings) -> str:
    """One Markdown table row per field, in declaration order: env var, type, default, description."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    rows = []
    for name, info in settings_cls.model_fields.items():
        variable = f"`{prefix}{name.upper()}`"
        kind = _type_name(info.annotation) + _bounds(info)
        rows.append(f"| {variable} | {_cell(kind)} | {_cell(_default(info))} | {_cell(info.description or '')} |\n")
    return _HEADER + "".join(rows)


def splice(document: str, reference: str, markers: tuple[str, str] = (START_MARKER, END_MARKER)) -> str:
    """`document` with everything between the two markers replaced by `reference` (also used for the error
    reference, core/error_reference.py, with its own markers)."""
    start_marker, end_marker = markers
    start = document.find(start_marker)
    end = document.find(end_marker)
    if start < 0 or end < 0 or end < start:
        raise ValueError(f"the markers {start_marker} and {end_marker} were not found, in that order")
    head = document[: start + len(start_marker)]
    return f"{head}\n{reference}{document[end:]}"
