"""What one ``run`` did, for the CLI to print: counts, the best trial with its estimate and
interval, and the folds with their prevalence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.jsondoc import JSON
from mbr_search.scoring.estimate import Estimate
from mbr_search.scoring.labelled import known
from mbr_search.search.folds import FoldSummary

if TYPE_CHECKING:
    from mbr_search.features.store import VideoData
    from mbr_search.search.folds import Fold


@dataclass
class RunSummary:
    """What a run did, for the CLI to print."""

    study_name: str
    storage_display: str
    finished: int
    target: int
    counts: dict[str, int]
    best_value: float | None
    best_params: dict[str, JSON] = field(default_factory=dict)
    best_number: int | None = None
    baseline: float | None = None
    seconds: float = 0.0
    grid_exhausted: bool = False
    #: the process ran its share of trials and should be replaced by a fresh one
    recycle: bool = False
    #: no trial was started because the median trial would overrun --budget
    budget_reached: bool = False
    #: (quick-look trial, its re-run on all folds) pairs of this run's promotion
    promoted: list[tuple[int, int]] = field(default_factory=list)
    #: complete trials that the pruner stopped (``pruner.pruned_as: value``)
    pruned_by_value: int = 0
    #: each fold's validation videos and prevalence per behaviour
    folds: list[FoldSummary] = field(default_factory=list)
    #: the best trial's pooled out-of-fold PR-AUC and its interval over videos (None: the
    #: trial stored no out-of-fold predictions)
    best_estimate: Estimate | None = None


def prevalence_baseline(videos: list[VideoData], folds: list[Fold]) -> float | None:
    """The PR-AUC of a classifier without skill: each validation video's prevalence,
    averaged like the objective averages (behaviours with positives, over folds)."""
    by_id = {v.id: v for v in videos}
    values: list[float] = []
    for fold in folds:
        labels = np.concatenate([by_id[v].labels for v in fold.validation])
        for c in range(labels.shape[1]):
            column = labels[:, c][known(labels[:, c])]  # prevalence among labelled frames
            p = float((column > 0).mean()) if column.size else 0.0
            if p > 0:
                values.append(p)
    return float(np.mean(values)) if values else None
