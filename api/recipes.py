"""Which outputs a new job gets: a preset by name or a custom `outputs` list, checked against this deployment's
limits. Errors answer 422 `validation_error` in the same shape as the request validation's, naming the field."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.errors import InvalidRequestError
from core.recipes import Rendition, recipe_problems


def _invalid(location: str, message: str, **details: Any) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid request: {location}: {message}. See /docs for the request's schema.",
        details={"errors": [{"location": location, "message": message}], **details},
    )


def chosen_recipe(
    preset: str | None, outputs: list[Rendition] | None, settings: Settings
) -> tuple[str | None, list[Rendition]]:
    """(the preset's name or None for custom outputs, the renditions); `default` when neither was given."""
    presets = settings.recipes
    if preset is not None and outputs is not None:
        raise _invalid("body.outputs", "give either `preset` or `outputs`, not both")
    if outputs is None:
        name = preset or "default"
        if name not in presets:
            raise _invalid(
                "body.preset", f"no preset is named {name!r}; presets: {', '.join(presets)}", presets=list(presets)
            )
        return name, presets[name]
    problems = recipe_problems(
        outputs, max_outputs=settings.max_outputs_per_job, max_pixels=settings.max_output_pixels_per_job
    )
    if problems:
        raise _invalid("body.outputs", "; ".join(problems))
    return None, outputs
