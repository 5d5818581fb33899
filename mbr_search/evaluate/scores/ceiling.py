"""The human ceiling: how well independent raters agree with each other, per behaviour.

A model cannot be expected to agree with a rater better than another rater does; with
several raters' labels (``intervals`` label format) the pairwise frame F1 between raters is
shown beside the model's F1 against the same raters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TypedDict

import numpy as np

from mbr_search.scoring.counts import f1_score
from mbr_search.scoring.labelled import known


def _counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int]:
    """(both, only b, only a) over the frames both label (UNLABELLED frames are skipped)."""
    keep = known(a) & known(b)
    x, y = np.asarray(a)[keep] > 0, np.asarray(b)[keep] > 0
    return int(np.sum(x & y)), int(np.sum(~x & y)), int(np.sum(x & ~y))


def raters_of(per_rater: Sequence[Mapping[str, np.ndarray]]) -> list[str]:
    """Raters found in any video, in first-seen order."""
    seen: dict[str, None] = {}
    for video in per_rater:
        seen.update(dict.fromkeys(video))
    return list(seen)


def _mean(values: Sequence[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


class RaterPairs(TypedDict):
    """One behaviour's rater-vs-rater F1: per pair ``"A~B"``, and their mean."""

    pairs: dict[str, float | None]
    mean_f1: float | None


class ModelVsRaters(TypedDict):
    """One behaviour's model-vs-rater F1: per rater, and their mean."""

    vs_raters: dict[str, float | None]
    mean_f1: float | None


def pairwise_f1(
    per_rater: Sequence[Mapping[str, np.ndarray]], behaviours: Sequence[str]
) -> dict[str, RaterPairs]:
    """Per behaviour ``{"pairs": {"A~B": f1}, "mean_f1": m}`` pooled over videos.

    ``per_rater`` holds, per video, rater -> (frames, behaviours) 0/1 labels. F1 is
    symmetric, so each unordered pair appears once (names sorted). A pair is counted only on
    videos both raters labelled; a pair where neither rater ever marks the behaviour has
    no F1 (None) and is left out of the mean.
    """
    raters = raters_of(per_rater)
    out: dict[str, RaterPairs] = {}
    for c, b in enumerate(behaviours):
        pairs: dict[str, float | None] = {}
        for r1, r2 in combinations(sorted(raters), 2):
            tp = fp = fn = 0
            for video in per_rater:
                if r1 in video and r2 in video:
                    t, f, n = _counts(video[r1][:, c], video[r2][:, c])
                    tp, fp, fn = tp + t, fp + f, fn + n
            pairs[f"{r1}~{r2}"] = f1_score(tp, fp, fn)
        out[b] = {"pairs": pairs, "mean_f1": _mean(list(pairs.values()))}
    return out


def model_vs_raters(
    per_rater: Sequence[Mapping[str, np.ndarray]],
    preds: Sequence[np.ndarray],
    behaviours: Sequence[str],
) -> dict[str, ModelVsRaters]:
    """Per behaviour ``{"vs_raters": {rater: f1}, "mean_f1": m}``: the model as one more rater.

    ``preds`` are the model's (frames, behaviours) 0/1 decisions for the same videos.
    """
    raters = raters_of(per_rater)
    out: dict[str, ModelVsRaters] = {}
    for c, b in enumerate(behaviours):
        scores: dict[str, float | None] = {}
        for r in raters:
            tp = fp = fn = 0
            for video, pred in zip(per_rater, preds, strict=True):
                if r in video:
                    t, f, n = _counts(video[r][:, c], pred[:, c])
                    tp, fp, fn = tp + t, fp + f, fn + n
            scores[r] = f1_score(tp, fp, fn)
        out[b] = {"vs_raters": scores, "mean_f1": _mean(list(scores.values()))}
    return out
