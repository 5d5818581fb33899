"""Train one model on one fold with early stopping on validation PR-AUC."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score

from mbr_search.errors import TrialFailed
from mbr_search.search.models import Resettable
from mbr_search.search.sequences import Batchable, packed_targets


@dataclass(frozen=True)
class FitResult:
    """What one fold's training produced for one model."""

    best_epoch: int
    epochs_run: int
    seconds: float
    #: validation probabilities (n_seq, seq_len, n_outputs) at the best epoch
    val_pred: np.ndarray


def pr_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Average precision (area under the PR curve); None when ``y`` has no positive."""
    if y.size == 0 or not np.any(y):
        return None
    return float(average_precision_score(y, p))


def val_score(pred: np.ndarray, val: Batchable, columns: Sequence[int]) -> float | None:
    """Mean PR-AUC over the columns that have positives in the validation data."""
    scores = []
    for out, col in enumerate(columns):
        ap = pr_auc(val.y[..., col][val.mask], pred[..., out][val.mask])
        if ap is not None:
            scores.append(ap)
    return float(np.mean(scores)) if scores else None


def fit_fold(
    model: Resettable,
    train: Batchable,
    val: Batchable,
    columns: Sequence[int],
    *,
    batch_size: int,
    max_epochs: int,
    patience: int,
    deadline: float | None = None,
) -> FitResult:
    """Reset ``model`` and fit it on ``train`` for ``columns``; stop on validation PR-AUC.

    When no validation column has a positive frame the PR-AUC is undefined and the
    validation loss decides instead. NaN loss fails the trial.
    """
    model.reset()
    net = model.net
    y_train = packed_targets(train, columns)
    y_val = packed_targets(val, columns)
    start = time.perf_counter()
    best_score = -math.inf
    best_weights = None
    best_pred: np.ndarray | None = None
    best_epoch = 0
    waited = 0
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        history = net.fit(
            train.x, y_train, batch_size=batch_size, epochs=1, shuffle=True, verbose=0
        )
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise TrialFailed(f"training loss became {loss} at epoch {epoch}")
        pred = net.predict(val.x, batch_size=max(batch_size, 32), verbose=0)
        score = val_score(pred, val, columns)
        if score is None:
            score = -float(net.evaluate(val.x, y_val, batch_size=max(batch_size, 32), verbose=0))
        if score > best_score + 1e-4:
            best_score, best_epoch, best_pred = score, epoch, pred
            best_weights = net.get_weights()
            waited = 0
        else:
            waited += 1
            if waited >= patience:
                break
        if deadline is not None and time.perf_counter() > deadline:
            raise TrialFailed(f"fold exceeded training.fold_timeout after {epoch} epochs")
    if best_weights is not None:
        net.set_weights(best_weights)
    assert best_pred is not None
    return FitResult(best_epoch, epoch, time.perf_counter() - start, best_pred)
