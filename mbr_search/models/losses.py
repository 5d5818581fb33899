"""The training loss shared by every Keras family: weighted binary cross-entropy."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mbr_search")
def weighted_bce(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy with per-frame, per-behaviour weights packed into ``y_true``.

    ``y_true`` holds the 0/1 labels then the weights along the last axis (see
    ``training.sequences.packed_targets``); padded frames carry weight 0 and do not count.
    """
    n = y_pred.shape[-1]
    labels = y_true[..., :n]
    weights = y_true[..., n:]
    eps = keras.config.epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    bce = -(labels * ops.log(p) + (1.0 - labels) * ops.log(1.0 - p))
    return ops.sum(bce * weights) / ops.maximum(ops.sum(ops.cast(weights > 0, "float32")), 1.0)
