"""The training losses of the Keras families: weighted binary cross-entropy (sigmoid head),
weighted categorical cross-entropy over behaviours plus "none" (softmax head), and the
multi-stage loss of MS-TCN (either of those on every stage, plus its smoothing loss)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mbr_search")
def weighted_bce(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy with per-frame, per-behaviour weights packed into ``y_true``.

    ``y_true`` holds the 0/1 labels then the weights along the last axis (see
    ``training.sequences.packed_targets``); padded and unlabelled frames carry weight 0 and
    do not count.
    """
    n = y_pred.shape[-1]
    labels = y_true[..., :n]
    weights = y_true[..., n:]
    eps = keras.config.epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    bce = -(labels * ops.log(p) + (1.0 - labels) * ops.log(1.0 - p))
    return ops.sum(bce * weights) / ops.maximum(ops.sum(ops.cast(weights > 0, "float32")), 1.0)


@keras.saving.register_keras_serializable(package="mbr_search")
def weighted_exclusive_ce(y_true: Any, y_pred: Any) -> Any:
    """Categorical cross-entropy over the behaviours plus "none", per-frame weighted.

    ``y_pred`` holds the softmax's behaviour columns only (``models/heads.py``): "none" is
    1 minus their sum. ``y_true`` is packed as for :func:`weighted_bce` (see
    ``training.sequences.packed_targets`` with ``exclusive=True``): 0/1 labels, then the
    frame's class weight repeated in every column; padded and unlabelled frames have weight 0.
    """
    n = y_pred.shape[-1]
    labels = y_true[..., :n]
    weights = y_true[..., n]
    eps = keras.config.epsilon()
    p = ops.clip(y_pred, eps, 1.0)
    none = ops.clip(1.0 - ops.sum(y_pred, axis=-1), eps, 1.0)
    is_none = ops.relu(1.0 - ops.sum(labels, axis=-1))
    ce = -(ops.sum(labels * ops.log(p), axis=-1) + is_none * ops.log(none))
    return ops.sum(ce * weights) / ops.maximum(ops.sum(ops.cast(weights > 0, "float32")), 1.0)


#: MS-TCN's truncation of the squared log-probability step between neighbouring frames
SMOOTHING_TAU = 4.0


def smoothing_loss(y_true: Any, p: Any, exclusive: bool) -> Any:
    """MS-TCN's truncated MSE: the mean over neighbouring real frames of
    ``min((log p_t - log p_{t-1})^2, tau^2)``, the earlier frame held fixed (no gradient), so
    a prediction is pulled toward its past, not the past toward noise. Padded and
    unlabelled frames (weight 0 in every column) take no part; with the softmax head, the
    "none" column counts too."""
    n = p.shape[-1]
    real = ops.cast(ops.max(y_true[..., n:], axis=-1) > 0, "float32")
    pairs = real[:, 1:] * real[:, :-1]
    eps = keras.config.epsilon()
    if exclusive:
        p = ops.concatenate([p, 1.0 - ops.sum(p, axis=-1, keepdims=True)], axis=-1)
    logp = ops.log(ops.clip(p, eps, 1.0))
    step = logp[:, 1:] - ops.stop_gradient(logp[:, :-1])
    per_frame = ops.mean(ops.minimum(ops.square(step), SMOOTHING_TAU**2), axis=-1)
    return ops.sum(per_frame * pairs) / ops.maximum(ops.sum(pairs), 1.0)


@keras.saving.register_keras_serializable(package="mbr_search")
class StagedLoss(keras.losses.Loss):
    """The loss of a multi-stage network (``models/mstcn.py``): the mean over its stages of
    the head's weighted loss plus ``smoothing`` times :func:`smoothing_loss`.

    ``y_pred`` holds every stage's behaviour columns side by side; ``y_true`` is packed as
    for one head (labels, then weights: twice the behaviours), which gives the stage count.
    """

    def __init__(
        self, exclusive: bool = False, smoothing: float = 0.15, name: str = "staged", **kwargs: Any
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.exclusive = exclusive
        self.smoothing = smoothing

    def call(self, y_true: Any, y_pred: Any) -> Any:
        n = y_true.shape[-1] // 2
        stages = y_pred.shape[-1] // n
        base = weighted_exclusive_ce if self.exclusive else weighted_bce
        total = 0.0
        for s in range(stages):
            p = y_pred[..., s * n : (s + 1) * n]
            total = total + base(y_true, p)
            if self.smoothing:
                total = total + self.smoothing * smoothing_loss(y_true, p, self.exclusive)
        return total / stages

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "exclusive": self.exclusive, "smoothing": self.smoothing}
