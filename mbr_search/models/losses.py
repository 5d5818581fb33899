"""The training losses of the Keras families: weighted binary cross-entropy (sigmoid head)
and weighted categorical cross-entropy over behaviours plus "none" (softmax head)."""

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
