"""PR-AUC, the one score of the search, and its mean over behaviours of a validation set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mbr_search.scoring.labelled import keep_known
from mbr_search.training.sequences import Batchable


def pr_auc(labels: np.ndarray, probs: np.ndarray) -> float | None:
    """Average precision (area under the PR curve) over the labelled frames (an
    UNLABELLED frame is skipped, never a negative); None without a positive frame."""
    from sklearn.metrics import average_precision_score

    y, p = keep_known(np.asarray(labels).ravel(), np.asarray(probs, dtype=np.float64).ravel())
    if y.size == 0 or not np.any(y > 0):
        return None
    return float(average_precision_score(y > 0, p))


def val_score(pred: np.ndarray, val: Batchable, columns: Sequence[int]) -> float | None:
    """Mean PR-AUC over the columns that have positives in the validation data."""
    scores = []
    for out, col in enumerate(columns):
        ap = pr_auc(val.y[..., col][val.mask], pred[..., out][val.mask])
        if ap is not None:
            scores.append(ap)
    return float(np.mean(scores)) if scores else None
