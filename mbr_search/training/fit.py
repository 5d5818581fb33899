"""Fitting a model: on one fold with early stopping (search), or for fixed epochs (retrain).

An optional ``on_epoch(epoch, score)`` callback sees every epoch of a fold; benchmarks count
epochs with it and the pruner can be fed from it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.errors import TrialFailed
from mbr_search.models import final_block
from mbr_search.models.build import Resettable
from mbr_search.training.scores import val_score
from mbr_search.training.sequences import Batchable, packed_targets

if TYPE_CHECKING:
    import keras

#: Called after every epoch of a fold with (epoch, validation score or None).
EpochCallback = Callable[[int, float | None], None]

#: Above this many bytes of float16 training sequences, batches are streamed (see
#: ``fit_epoch``); below, Keras's in-memory pipeline is ~25 % faster per epoch and the
#: copies it makes are small.
STREAM_BYTES = 128 * 2**20


def fit_epoch(
    net: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
) -> keras.callbacks.History:
    """One shuffled epoch; large data is streamed so Keras never copies it whole."""
    if x.nbytes > STREAM_BYTES:
        return net.fit(shuffled_batches(x, y, batch_size, rng), verbose=0)
    order = rng.permutation(len(x))
    return net.fit(x[order], y[order], batch_size=batch_size, shuffle=False, verbose=0)


def shuffled_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
) -> keras.utils.PyDataset:
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
    on_epoch: EpochCallback | None = None,
    exclusive: bool = False,
) -> FitResult:
    """Reset ``model`` and fit it on ``train`` for ``columns``; stop on validation PR-AUC.

    When no validation column has a positive frame the PR-AUC is undefined and the
    validation loss decides instead. NaN loss fails the trial. ``exclusive``: the model
    has the softmax head (its targets carry per-frame class weights).
    """
    model.reset()
    net, n = model.net, len(columns)
    x_train, y_train = labelled_sequences(
        train.x, packed_targets(train, columns, exclusive=exclusive)
    )
    y_val = packed_targets(val, columns, exclusive=exclusive)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    best_score = -math.inf
    best_weights = None
    best_pred: np.ndarray | None = None
    best_epoch = 0
    waited = 0
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        history = fit_epoch(net, x_train, y_train, batch_size, rng)
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise TrialFailed(f"training loss became {loss} at epoch {epoch}")
        pred = final_block(net.predict(val.x, batch_size=max(batch_size, 32), verbose=0), n)
        score = val_score(pred, val, columns)
        if on_epoch is not None:
            on_epoch(epoch, score)
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


def labelled_sequences(x: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training sequences with a labelled frame (some weight in ``targets``). One all
    unlabelled (a stretch of a partly labelled video nobody labelled) adds nothing to any
    loss, only steps and compute, so it is left out of the training batches (its frames
    still give context inside sequences that are kept). Fully labelled data keeps every
    row."""
    n = targets.shape[-1] // 2
    keep = (targets[..., n:] > 0).any(axis=(1, 2))
    if keep.all() or not keep.any():
        return x, targets
    return x[keep], targets[keep]


def fit_epochs(
    net: keras.Model,
    data: Batchable,
    columns: Sequence[int],
    *,
    batch_size: int,
    epochs: int,
    seed: int,
    on_epoch: EpochCallback | None = None,
    exclusive: bool = False,
) -> float:
    """Fit ``net`` for exactly ``epochs`` shuffled passes; returns the last training loss.

    NaN loss raises :class:`TrialFailed`, as in :func:`fit_fold`.
    """
    x, targets = labelled_sequences(data.x, packed_targets(data, columns, exclusive=exclusive))
    rng = np.random.default_rng(seed)
    loss = math.nan
    for epoch in range(1, epochs + 1):
        history = fit_epoch(net, x, targets, batch_size, rng)
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise TrialFailed(f"training loss became {loss} at epoch {epoch}")
        if on_epoch is not None:
            on_epoch(epoch, None)
    return loss
