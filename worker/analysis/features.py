"""The per-job analysis features: what each engine answers for a feature it cannot provide."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core.analysis import AnalysisFeature, Faces, Moderation
from core.recipes import Gravity

# The local engine's reasons, in the result itself so that a client never reads "no labels found" into them.
LOCAL_MODERATION_REASON = "The local engine has no moderation model; moderation comes only from the rekognition engine."


def unavailable(features: Sequence[AnalysisFeature], reason: str) -> dict[str, Any]:
    """Analysis fields for the asked features among moderation and faces, each marked not available for `reason`
    (a model_copy update or Analysis keyword arguments)."""
    fields: dict[str, Any] = {}
    if AnalysisFeature.MODERATION in features:
        fields["moderation"] = Moderation(available=False, reason=reason)
    if AnalysisFeature.FACES in features:
        fields["faces"] = Faces(available=False, reason=reason)
    return fields


def features_to_run(asked: Sequence[AnalysisFeature], gravities: Iterable[Gravity]) -> list[AnalysisFeature]:
    """The features the analysis runs for a job: those it asked for, plus `faces` when one of its renditions crops
    around faces (found once per job, before the renditions are made; the result then shows them too)."""
    features = list(dict.fromkeys(asked))
    if Gravity.FACES in set(gravities) and AnalysisFeature.FACES not in features:
        features.append(AnalysisFeature.FACES)
    return features
