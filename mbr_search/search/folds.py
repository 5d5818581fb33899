"""Cross-validation folds over training videos (never over frames of one video).

``group_kfold`` is stratified by default: videos are dealt to folds so that each
behaviour's positive frames (and the frames overall) are spread as evenly as whole videos
allow. Why: on the rat data aggression sits mostly in 4 of 20 videos, and a random
permutation gave folds with 9.5 %, 1.4 % and 2.6 % aggression; a fold's PR-AUC at 1.4 %
prevalence is mostly noise, and the mean over folds inherits it. The balancer is a seeded
greedy deal followed by pairwise swaps, started from several orders including the plain
random permutation, so it is never less balanced than that permutation
(``benchmarks/folds.py`` measures it against scikit-learn's ``StratifiedGroupKFold``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mbr_search.config.cv import CVConfig
from mbr_search.errors import ConfigError
from mbr_search.jsondoc import JSONObject

#: orders the balancer starts from (the random permutation is always one of them)
RESTARTS = 16


@dataclass(frozen=True)
class Fold:
    """One split of the training videos: fit on ``train``, score on ``validation``."""

    index: int
    train: tuple[str, ...]
    validation: tuple[str, ...]


def make_folds(
    video_ids: Sequence[str],
    cv: CVConfig,
    seed: int,
    labels: Mapping[str, np.ndarray] | None = None,
) -> list[Fold]:
    """Leave-one-video-out (the thesis) or k folds grouped by video, seeded by ``seed``.

    ``labels`` (video -> (frames, behaviours) 0/1 array) is needed for stratified
    ``group_kfold`` (``cv.stratify``, the default). Validation videos never appear in the
    same fold's training set; test videos are not passed here at all.
    """
    ids = list(video_ids)
    if len(set(ids)) != len(ids):
        raise ConfigError(f"duplicate video ids in folds: {ids}")
    if len(ids) < 2:
        raise ConfigError(f"cross-validation needs at least 2 training videos, got {len(ids)}.")
    if cv.scheme == "leave_one_video_out":
        groups = [[v] for v in ids]
    elif cv.scheme == "group_kfold":
        if cv.k > len(ids):
            raise ConfigError(
                f"cv.k={cv.k} folds but only {len(ids)} training videos. Fix: lower cv.k."
            )
        groups = _grouped(ids, cv, seed, labels)
    else:  # validated at load time
        raise ConfigError(f"unknown cv.scheme '{cv.scheme}'")
    folds = [
        Fold(i, tuple(v for v in ids if v not in group), tuple(group))
        for i, group in enumerate(groups)
    ]
    if cv.max_folds is not None:
        folds = folds[: cv.max_folds]
    return folds


class LabelledVideo(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def labels(self) -> np.ndarray: ...


def video_folds(videos: Sequence[LabelledVideo], cv: CVConfig, seed: int) -> list[Fold]:
    """:func:`make_folds` for loaded videos (their ids, in order, and their labels)."""
    return make_folds([v.id for v in videos], cv, seed, {v.id: v.labels for v in videos})


def _grouped(
    ids: list[str], cv: CVConfig, seed: int, labels: Mapping[str, np.ndarray] | None
) -> list[list[str]]:
    order = np.random.default_rng(seed).permutation(len(ids))
    random_parts = [list(part) for part in np.array_split(order, cv.k)]
    if not cv.stratify:
        return [[ids[i] for i in part] for part in random_parts]
    if labels is None:
        raise ConfigError(
            "stratified group_kfold needs the training videos' labels. Fix: pass them "
            "(make_folds(..., labels=...)), or set cv.stratify: false in the study."
        )
    missing = [v for v in ids if v not in labels]
    if missing:
        raise ConfigError(f"stratified folds: no labels for training video(s) {missing}.")
    counts = video_counts([labels[v] for v in ids])
    parts = balance(counts, cv.k, seed, start=random_parts)
    return [[ids[i] for i in sorted(part)] for part in parts]


def video_counts(labels: Sequence[np.ndarray]) -> np.ndarray:
    """(videos, 1 + behaviours): labelled frames, then positive frames of each behaviour.
    A frame whose label is not 0/1 (unlabelled, NaN or negative) counts as not labelled."""
    rows = []
    for y in labels:
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        known = np.isfinite(arr) & (arr >= 0)
        rows.append([known.all(axis=1).sum(), *np.where(known, arr > 0, False).sum(axis=0)])
    return np.asarray(rows, dtype=np.float64)


def imbalance(counts: np.ndarray, parts: Sequence[Sequence[int]]) -> float:
    """How far the folds are from each holding 1/k of every column's total: the sum over
    columns with a non-zero total of the squared deviations of the folds' shares."""
    totals = counts.sum(axis=0)
    cols = totals > 0
    if not cols.any():
        return 0.0
    shares = np.stack([counts[list(p)].sum(axis=0)[cols] / totals[cols] for p in parts])
    return float(((shares - 1.0 / len(parts)) ** 2).sum())


def balance(
    counts: np.ndarray, k: int, seed: int, start: Sequence[Sequence[int]] | None = None
) -> list[list[int]]:
    """k parts of the rows of ``counts`` (sizes differing by at most one) with the least
    :func:`imbalance` found: a greedy deal from :data:`RESTARTS` seeded orders, plus the
    ``start`` partition, each improved by swaps; ties go to the earliest candidate."""
    n = len(counts)
    rng = np.random.default_rng(seed)
    candidates: list[list[list[int]]] = []
    if start is not None:
        candidates.append([list(p) for p in start])
    # Rows holding a large share of a rare column go first: they are the hard ones to place.
    totals = counts.sum(axis=0)
    weight = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 0.0).max(axis=1)
    for _ in range(RESTARTS):
        noise = rng.uniform(0.0, 1e-6 + 0.25 * weight.max(initial=0.0), size=n)
        candidates.append(_deal(counts, k, list(np.argsort(-(weight + noise), kind="stable"))))
    best: list[list[int]] | None = None
    best_cost = np.inf
    for parts in candidates:
        improved = _swap_until_stable(counts, parts)
        cost = imbalance(counts, improved)
        if cost < best_cost - 1e-12:
            best, best_cost = improved, cost
    assert best is not None
    return best


def _deal(counts: np.ndarray, k: int, order: list[int]) -> list[list[int]]:
    """Give each row, in ``order``, to the part with room whose imbalance it raises least."""
    n = len(order)
    room = [n // k + (1 if i < n % k else 0) for i in range(k)]
    parts: list[list[int]] = [[] for _ in range(k)]
    for row in order:
        costs = []
        for i in range(k):
            if len(parts[i]) >= room[i]:
                costs.append(np.inf)
                continue
            trial = [[*p, row] if j == i else p for j, p in enumerate(parts)]
            costs.append(imbalance(counts, trial))
        parts[int(np.argmin(costs))].append(row)
    return parts


def _swap_until_stable(counts: np.ndarray, parts: list[list[int]]) -> list[list[int]]:
    """Swap two rows of different parts while that lowers the imbalance (sizes unchanged)."""
    parts = [list(p) for p in parts]
    cost = imbalance(counts, parts)
    improved = True
    while improved:
        improved = False
        for a in range(len(parts)):
            for b in range(a + 1, len(parts)):
                for i in range(len(parts[a])):
                    for j in range(len(parts[b])):
                        parts[a][i], parts[b][j] = parts[b][j], parts[a][i]
                        new = imbalance(counts, parts)
                        if new < cost - 1e-12:
                            cost, improved = new, True
                        else:
                            parts[a][i], parts[b][j] = parts[b][j], parts[a][i]
    return parts


@dataclass(frozen=True)
class FoldSummary:
    """What ``run`` prints and stores (study attribute ``folds``) for each fold: its
    validation videos and each behaviour's prevalence among their labelled frames."""

    index: int
    validation: tuple[str, ...]
    prevalence: dict[str, float]

    def to_json(self) -> JSONObject:
        return {
            "index": self.index,
            "validation": list(self.validation),
            "prevalence": {b: round(p, 6) for b, p in self.prevalence.items()},
        }

    @classmethod
    def from_json(cls, raw: object) -> FoldSummary:
        """Read back a stored summary; ValueError on anything else (the caller decides)."""
        if not isinstance(raw, dict):
            raise ValueError(f"a fold summary is a mapping, got {type(raw).__name__}")
        prevalence = raw.get("prevalence")
        validation = raw.get("validation")
        if not isinstance(prevalence, dict) or not isinstance(validation, list):
            raise ValueError("a fold summary needs 'validation' and 'prevalence'")
        return cls(
            int(raw["index"]),
            tuple(str(v) for v in validation),
            {str(b): float(p) for b, p in prevalence.items()},
        )


def summarise(
    folds: Sequence[Fold], labels: Mapping[str, np.ndarray], behaviours: Sequence[str]
) -> list[FoldSummary]:
    """Each fold's validation prevalence per behaviour (positive share of labelled frames)."""
    out = []
    for fold in folds:
        counts = video_counts([labels[v] for v in fold.validation]).sum(axis=0)
        frames = max(counts[0], 1.0)
        prevalence = {b: float(counts[1 + c] / frames) for c, b in enumerate(behaviours)}
        out.append(FoldSummary(fold.index, fold.validation, prevalence))
    return out


def prevalence_lines(folds: Sequence[FoldSummary]) -> list[str]:
    """``fold 0 (rat01, rat05): social 31.2 %, aggression 4.1 %`` per fold."""
    return [
        f"  fold {f.index} ({', '.join(f.validation)}): "
        + ", ".join(f"{b} {100 * p:.1f} %" for b, p in f.prevalence.items())
        for f in folds
    ]
