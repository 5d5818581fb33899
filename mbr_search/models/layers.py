"""Custom Keras layers of the families, registered so saved models load without code."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mbr_search")
class SinusoidalPosition(keras.layers.Layer):
    """Adds the sinusoidal position encoding of "Attention is all you need" (any length)."""

    def call(self, x: Any) -> Any:
        length = ops.shape(x)[1]
        dim = x.shape[-1]
        pos = ops.cast(ops.arange(length), "float32")[:, None]
        i = ops.cast(ops.arange(dim), "float32")[None, :]
        angle = pos / ops.power(10000.0, (2.0 * ops.floor(i / 2.0)) / float(dim))
        even = ops.cast(ops.equal(ops.mod(ops.arange(dim), 2), 0), "float32")[None, :]
        enc = even * ops.sin(angle) + (1.0 - even) * ops.cos(angle)
        return x + ops.cast(enc[None], x.dtype)


@keras.saving.register_keras_serializable(package="mbr_search")
class EndMask(keras.layers.Layer):
    """Passes its input through and ends Keras' implicit mask there.

    The padding mask is for the recurrent layers; past them the loss's own per-frame
    weights already give padded frames zero weight, and a mask reaching the loss would
    rescale it.
    """

    def call(self, x: Any) -> Any:
        return x

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


@keras.saving.register_keras_serializable(package="mbr_search")
class BehaviourColumns(keras.layers.Layer):
    """The first ``n`` columns of its input: the behaviours of a softmax over behaviours
    plus "none" (``models/heads.py``), so the output means what the sigmoid head's does."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = n
        # A mask passes as through the sigmoid head's Dense: per frame, columns unchanged.
        self.supports_masking = True

    def call(self, x: Any) -> Any:
        return x[..., : self.n]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], self.n)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
