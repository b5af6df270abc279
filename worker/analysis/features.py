"""The per-job analysis features: what each engine answers for a feature it cannot provide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.analysis import AnalysisFeature, Faces, Moderation

# The local engine's reasons, in the result itself so that a client never reads "no labels found" into them.
LOCAL_MODERATION_REASON = "The local engine has no moderation model; moderation comes only from the rekognition engine."
LOCAL_FACES_REASON = (
    "The local engine has no face detector (no installable package ships one that fits the worker image); faces "
    "come only from the rekognition engine."
)


def unavailable(features: Sequence[AnalysisFeature], reason: str) -> dict[str, Any]:
    """Analysis fields for the asked features among moderation and faces, each marked not available for `reason`
    (a model_copy update or Analysis keyword arguments)."""
    fields: dict[str, Any] = {}
    if AnalysisFeature.MODERATION in features:
        fields["moderation"] = Moderation(available=False, reason=reason)
    if AnalysisFeature.FACES in features:
        fields["faces"] = Faces(available=False, reason=reason)
    return fields
