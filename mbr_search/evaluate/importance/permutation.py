"""Permutation importance of feature groups: how much out-of-fold PR-AUC a group carries.

For each group of columns (``features/column_groups.py``) and each of ``repeats`` seeded
draws, the group's columns are permuted over the frames of each video together (one
permutation per video and draw, the same for every column of the group, so the group's
own correlations survive and only its link to the labels is broken), the videos are
predicted again, and the drop of the pooled PR-AUC per behaviour against the unpermuted
prediction is recorded. Permuting within a video, not across videos, keeps each video's
feature distribution, so a group is not credited for telling recordings apart.

Pure: the model is a ``predict(video, features) -> probabilities`` function; refitting the
fold models lives in ``run.py`` beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.training.scores import pr_auc

#: (video id, (frames, features) float32) -> (frames, behaviours) probabilities
Predict = Callable[[str, np.ndarray], np.ndarray]

#: Draws per group: enough for a mean and a spread, few enough to stay cheap.
REPEATS = 3
SEED = 0


@dataclass(frozen=True)
class GroupDrop:
    """One group's mean (and standard deviation over draws) drop of PR-AUC per behaviour;
    None where the behaviour has no positive frame."""

    group: str
    columns: int
    drop: dict[str, float | None]
    std: dict[str, float | None]


def pooled_pr_auc(
    labels: Mapping[str, np.ndarray],
    probs: Mapping[str, np.ndarray],
    behaviours: Sequence[str],
) -> dict[str, float | None]:
    """PR-AUC per behaviour over the concatenated frames of every video of ``probs``."""
    videos = sorted(probs)
    y = np.concatenate([labels[v] for v in videos])
    p = np.concatenate([probs[v] for v in videos])
    return {b: pr_auc(y[:, c], p[:, c]) for c, b in enumerate(behaviours)}


def permuted(x: np.ndarray, columns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A float32 copy of ``x`` whose ``columns`` are shuffled over frames (rows) together."""
    out = np.array(x, dtype=np.float32)
    order = rng.permutation(len(out))
    out[:, columns] = out[order][:, columns]
    return out


def permutation_importance(
    predict: Predict,
    features: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    groups: Mapping[str, np.ndarray],
    behaviours: Sequence[str],
    *,
    repeats: int = REPEATS,
    seed: int = SEED,
) -> tuple[dict[str, float | None], list[GroupDrop]]:
    """The unpermuted pooled PR-AUC per behaviour and each group's drop, largest mean drop
    first. Each draw's generator is seeded by (seed, group position, draw), so one group's
    numbers do not depend on which other groups were asked for."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    videos = sorted(features)
    base = pooled_pr_auc(labels, {v: predict(v, features[v]) for v in videos}, behaviours)
    out = []
    for g, (name, columns) in enumerate(groups.items()):
        draws: list[dict[str, float | None]] = []
        for r in range(repeats):
            rng = np.random.default_rng([seed, g, r])
            probs = {v: predict(v, permuted(features[v], columns, rng)) for v in videos}
            draws.append(pooled_pr_auc(labels, probs, behaviours))
        out.append(_drop(name, len(columns), base, draws, behaviours))
    out.sort(key=lambda d: -_mean_drop(d))
    return base, out


def _drop(
    name: str,
    n_columns: int,
    base: Mapping[str, float | None],
    draws: Sequence[Mapping[str, float | None]],
    behaviours: Sequence[str],
) -> GroupDrop:
    mean: dict[str, float | None] = {}
    std: dict[str, float | None] = {}
    for b in behaviours:
        ref = base[b]
        values = [ref - v for d in draws if (v := d[b]) is not None] if ref is not None else []
        mean[b] = float(np.mean(values)) if values else None
        std[b] = float(np.std(values)) if values else None
    return GroupDrop(name, n_columns, mean, std)


def _mean_drop(drop: GroupDrop) -> float:
    """The ranking key: mean drop over behaviours with a defined PR-AUC."""
    values = [v for v in drop.drop.values() if v is not None]
    return float(np.mean(values)) if values else -np.inf
