"""Temporal models on top of per-frame features: Keras LSTM and keras-tcn TCN.

A model is built and compiled once per trial; :func:`reset` restores its initial weights
and clears the optimizer state between folds, which keeps the traced train step (a rebuild
costs ~10 s of tracing per fold on CPU, a reset well under 1 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="mbr_search")
def weighted_bce(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy with per-frame, per-behaviour weights packed into ``y_true``.

    ``y_true`` holds the 0/1 labels then the weights along the last axis (see
    ``sequences.packed_targets``); padded frames carry weight 0 and do not count.
    """
    n = y_pred.shape[-1]
    labels = y_true[..., :n]
    weights = y_true[..., n:]
    eps = keras.config.epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    bce = -(labels * ops.log(p) + (1.0 - labels) * ops.log(1.0 - p))
    return ops.sum(bce * weights) / ops.maximum(ops.sum(ops.cast(weights > 0, "float32")), 1.0)


def build_model(params: Mapping[str, Any], *, model: str, n_features: int, n_outputs: int) -> Any:
    """A compiled Keras model mapping (batch, time, features) to (batch, time, n_outputs)."""
    inputs = keras.Input(shape=(None, n_features), name="features")
    x = keras.layers.Dropout(float(params["dropout"]), name="input_dropout")(inputs)
    if model == "lstm":
        units = int(params["lstm_units"])
        for i in range(int(params["lstm_layers"])):
            layer = keras.layers.LSTM(
                max(units // 2**i, 2), return_sequences=True, name=f"lstm_{i}"
            )
            x = (
                keras.layers.Bidirectional(layer, name=f"bilstm_{i}")(x)
                if params["bidirectional"]
                else layer(x)
            )
    elif model == "tcn":
        x = _tcn_stack(x, params)
    elif model == "transformer":
        x = _transformer_stack(inputs, x, params)
    else:
        raise ValueError(f"unknown model {model!r}")
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid", name="behaviours")(x)
    net = keras.Model(inputs, outputs, name=f"{model}_classifier")
    if model == "tcn" and params.get("tcn_norm") == "weight":
        _unit_norm_kernels(net)
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(params["learning_rate"])),
        loss=weighted_bce,
        jit_compile=False,  # XLA measured slower on CPU for these shapes
    )
    return net


def _tcn_stack(x: Any, params: Mapping[str, Any]) -> Any:
    from tcn import TCN

    norm = params["tcn_norm"]
    dilations = [2**j for j in range(int(params["tcn_dilations"]))]
    for i in range(int(params["tcn_layers"])):
        x = TCN(
            nb_filters=int(params["tcn_filters"]),
            kernel_size=int(params["tcn_kernel_size"]),
            dilations=dilations,
            padding="causal" if params["tcn_causal"] else "same",
            use_skip_connections=True,
            dropout_rate=float(params["tcn_dropout"]),
            return_sequences=True,
            use_batch_norm=norm == "batch",
            use_layer_norm=norm == "layer",
            name=f"tcn_{i}",
        )(x)
    return x


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


def _transformer_stack(inputs: Any, x: Any, params: Mapping[str, Any]) -> Any:
    # The thesis' future work (§6.1): self-attention over the frames of a sequence. Padded
    # frames (all-zero inputs) are masked out of attention.
    dim = int(params["transformer_dim"])
    heads = int(params["transformer_heads"])
    rate = float(params["dropout"])
    mask = ops.any(ops.not_equal(inputs, 0.0), axis=-1)
    attention_mask = ops.logical_and(mask[:, :, None], mask[:, None, :])
    x = keras.layers.Dense(dim, name="project")(x)
    x = SinusoidalPosition(name="position")(x)
    for i in range(int(params["transformer_layers"])):
        attn = keras.layers.MultiHeadAttention(
            heads, max(dim // heads, 1), dropout=rate, name=f"attention_{i}"
        )(x, x, attention_mask=attention_mask)
        x = keras.layers.LayerNormalization(name=f"norm_a{i}")(x + attn)
        ff = keras.layers.Dense(
            dim * int(params["transformer_ff"]), activation="gelu", name=f"ff_{i}"
        )(x)
        ff = keras.layers.Dense(dim, name=f"ff_out_{i}")(keras.layers.Dropout(rate)(ff))
        x = keras.layers.LayerNormalization(name=f"norm_f{i}")(x + ff)
    return x


def _unit_norm_kernels(net: Any) -> None:
    # keras-tcn 3.5.6 dropped WeightNormalization (it needed tensorflow-addons). We keep the
    # thesis' "weight" option as a weight-norm projection: every conv filter is renormalised
    # to unit L2 norm after each update, which decouples its direction from its scale.
    constraint = keras.constraints.UnitNorm(axis=[0, 1])
    for layer in net.layers:
        if layer.name.startswith("tcn_"):
            for sub in _walk(layer):
                if isinstance(sub, keras.layers.Conv1D):
                    sub.kernel.constraint = constraint


def _walk(layer: Any) -> list[Any]:
    found = []
    for sub in getattr(layer, "_layers", []) or []:
        found.append(sub)
        found.extend(_walk(sub))
    return found


class Resettable:
    """A compiled model plus its initial weights, resettable between folds."""

    def __init__(self, net: Any) -> None:
        self.net = net
        self._initial = [np.array(w) for w in net.get_weights()]

    def reset(self) -> None:
        """Initial weights back; optimizer slots and step counter zeroed, learning rate kept."""
        self.net.set_weights(self._initial)
        optimizer = self.net.optimizer
        # The learning rate is an optimizer variable too: zeroing it would freeze training.
        keep = getattr(optimizer, "_learning_rate", None)
        for var in optimizer.variables:
            if var is keep or var.name == "learning_rate":
                continue
            var.assign(ops.zeros(var.shape, dtype=var.dtype))
