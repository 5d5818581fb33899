"""Ensemble selection (Caruana et al. 2004, as in auto-sklearn): greedy forward selection
with replacement over the out-of-fold predictions of every complete trial.

Starting from the empty ensemble, add the trial whose inclusion gives the best mean PR-AUC
over behaviours of the averaged out-of-fold probabilities; a trial may be added again,
which is how weights arise (weight = times chosen / rounds). Only out-of-fold data enters:
the function never sees a test video. Pure numpy; no model is trained here.

Every candidate must cover the same videos: scoring all on the videos they share would let
one trial validated on fewer folds shrink everyone's evidence, and comparing scores over
different videos is meaningless. :func:`same_videos` picks the candidates that match.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from mbr_search.errors import DataError, UsageError
from mbr_search.training.scores import pr_auc

#: Rounds of selection; auto-sklearn's default ensemble size is 50, 20 is ample for the
#: tens of trials a study has, and keeps selection under a second.
ROUNDS = 20

#: one trial's out-of-fold probabilities, video -> (frames, behaviours)
V = TypeVar("V", bound=Mapping[str, np.ndarray])


@dataclass(frozen=True)
class Selection:
    """Members with weights (summing to 1), and the OOF score after each round."""

    weights: dict[int, float]
    scores: tuple[float, ...]

    @property
    def members(self) -> list[int]:
        return sorted(self.weights, key=lambda t: (-self.weights[t], t))

    def to_json(self) -> dict[str, object]:
        return {
            "members": self.members,
            "weights": {str(t): round(w, 6) for t, w in self.weights.items()},
            "oof_scores": [round(s, 6) for s in self.scores],
        }


def mean_pr_auc(labels: np.ndarray, probs: np.ndarray) -> float:
    """Mean PR-AUC over the behaviour columns that have a positive frame."""
    scores = [pr_auc(labels[:, c], probs[:, c]) for c in range(labels.shape[1])]
    defined = [s for s in scores if s is not None]
    return float(np.mean(defined)) if defined else float("nan")


def select(
    oof: Mapping[int, Mapping[str, np.ndarray]],
    labels: Mapping[str, np.ndarray],
    rounds: int = ROUNDS,
) -> Selection:
    """Greedy selection with replacement over ``oof`` (trial -> video -> probabilities).

    Ties go to the lower trial number, so the result is deterministic.
    """
    if not oof:
        raise UsageError(
            "ensemble selection needs at least one complete trial with out-of-fold "
            "predictions. Fix: run more trials (mbr-search run STUDY --trials N)."
        )
    videos = _common_videos(oof)
    unlabelled = [v for v in videos if v not in labels]
    if unlabelled:
        raise DataError(
            f"ensemble selection: no labels for out-of-fold video(s) {unlabelled}. Fix: "
            "evaluate with the dataset the search ran on."
        )
    y = np.concatenate([labels[v] for v in videos])
    stacked = {t: np.concatenate([p[v] for v in videos]).astype(np.float64) for t, p in oof.items()}
    total = np.zeros_like(y, dtype=np.float64)
    chosen: list[int] = []
    scores: list[float] = []
    for k in range(1, rounds + 1):
        best_t, best_s = None, -np.inf
        for t in sorted(stacked):
            s = mean_pr_auc(y, (total + stacked[t]) / k)
            if s > best_s + 1e-12:
                best_t, best_s = t, s
        assert best_t is not None
        chosen.append(best_t)
        total += stacked[best_t]
        scores.append(best_s)
    counts = Counter(chosen)
    return Selection({t: n / rounds for t, n in counts.items()}, tuple(scores))


def _common_videos(oof: Mapping[int, Mapping[str, np.ndarray]]) -> list[str]:
    """The videos every candidate covers; refuses candidates that cover different ones."""
    sets = {t: frozenset(p) for t, p in oof.items()}
    first = min(sets)
    differ = sorted(t for t, s in sets.items() if s != sets[first])
    if differ:
        raise DataError(
            f"ensemble selection: trial(s) {differ} have out-of-fold predictions for other "
            f"videos than trial #{first}. Fix: pass only trials scored on the same folds "
            "(selection.same_videos)."
        )
    return sorted(sets[first])


def same_videos(oof: Mapping[int, V], reference: int) -> tuple[dict[int, V], list[int]]:
    """The candidates whose out-of-fold videos are those of trial ``reference``, and the
    trial numbers left out because they cover other videos (validated on other folds)."""
    want = frozenset(oof[reference])
    kept = {t: p for t, p in oof.items() if frozenset(p) == want}
    return kept, sorted(t for t in oof if t not in kept)


@dataclass(frozen=True)
class CrossFit:
    """Selection refitted without each fold: ``probs`` holds, for every video, the blend
    chosen on the other folds' videos only; ``selections[k]`` is the one fold k used."""

    probs: dict[str, np.ndarray]
    selections: tuple[Selection, ...]


def cross_fitted(
    oof: Mapping[int, Mapping[str, np.ndarray]],
    labels: Mapping[str, np.ndarray],
    folds: Sequence[Sequence[str]],
    rounds: int = ROUNDS,
) -> CrossFit:
    """The honest estimate of "select an ensemble on out-of-fold predictions": for each
    fold, run :func:`select` on the other folds' videos and blend the fold's own videos
    with the weights found. Selection scored on the videos it was fitted to is optimistic
    (in-sample); this never lets a fold's predictions choose what is scored on it.

    ``folds`` are the validation videos of each fold; every candidate's videos must be
    exactly their union, and there must be at least 2 folds.
    """
    videos = set(_common_videos(oof))
    flat = [v for fold in folds for v in fold]
    if len(folds) < 2 or len(set(flat)) != len(flat) or set(flat) != videos:
        raise DataError(
            f"cross-fitted selection needs >= 2 disjoint folds covering the out-of-fold "
            f"videos {sorted(videos)}; got {[list(f) for f in folds]}."
        )
    blended: dict[str, np.ndarray] = {}
    selections = []
    for fold in folds:
        rest = {t: {v: p[v] for v in p if v not in fold} for t, p in oof.items()}
        picked = select(rest, labels, rounds)
        held_out = {t: {v: oof[t][v] for v in fold} for t in picked.weights}
        blended |= weighted_probabilities(held_out, picked.weights)
        selections.append(picked)
    return CrossFit(blended, tuple(selections))


def weighted_probabilities(
    members: Mapping[int, Mapping[str, np.ndarray]], weights: Mapping[int, float]
) -> dict[str, np.ndarray]:
    """Video -> weighted mean of the members' probabilities (videos all members have)."""
    common = set.intersection(*(set(members[t]) for t in weights))
    return {
        v: np.sum([weights[t] * np.asarray(members[t][v], np.float32) for t in weights], axis=0)
        for v in sorted(common)
    }
