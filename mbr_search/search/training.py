"""Train one model on one fold with early stopping on validation PR-AUC."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from mbr_search.errors import TrialFailed
from mbr_search.search.models import Resettable
from mbr_search.search.sequences import Batchable, packed_targets

#: Above this many bytes of float16 training sequences, batches are streamed (see
#: ``fit_epoch``); below, Keras's in-memory pipeline is ~25 % faster per epoch and the
#: copies it makes are small.
STREAM_BYTES = 128 * 2**20


def fit_epoch(
    net: Any, x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
) -> Any:
    """One shuffled epoch; large data is streamed so Keras never copies it whole."""
    if x.nbytes > STREAM_BYTES:
        return net.fit(shuffled_batches(x, y, batch_size, rng), verbose=0)
    order = rng.permutation(len(x))
    return net.fit(x[order], y[order], batch_size=batch_size, shuffle=False, verbose=0)


def shuffled_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
) -> Any:
    """One epoch of shuffled float32 batches drawn from the float16 sequences.

    Handing Keras the whole array instead makes it cast a float32 copy and then copy that
    into a tensor: at thesis scale that was two extra fold-sized arrays in memory.
    """
    import keras

    order = rng.permutation(len(x))

    class Batches(keras.utils.PyDataset):  # type: ignore[misc]
        def __len__(self) -> int:
            return -(-len(x) // batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            rows = np.sort(order[index * batch_size : (index + 1) * batch_size])
            return x[rows].astype(np.float32), y[rows]

    return Batches()


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
    seed: int = 0,
) -> FitResult:
    """Reset ``model`` and fit it on ``train`` for ``columns``; stop on validation PR-AUC.

    When no validation column has a positive frame the PR-AUC is undefined and the
    validation loss decides instead. NaN loss fails the trial.
    """
    model.reset()
    net = model.net
    y_train = packed_targets(train, columns)
    y_val = packed_targets(val, columns)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    best_score = -math.inf
    best_weights = None
    best_pred: np.ndarray | None = None
    best_epoch = 0
    waited = 0
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        history = fit_epoch(net, train.x, y_train, batch_size, rng)
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
