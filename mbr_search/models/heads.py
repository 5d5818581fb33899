"""The output head of the Keras sequence families: independent sigmoids, or one softmax.

``sigmoid`` (the thesis): one probability per behaviour, each on its own; any number of
behaviours can be on in a frame. ``softmax`` (the ``head`` hyperparameter): where every
frame shows at most one behaviour (the rat Caltech stream S1: each frame is exactly one of
base, social, nonsocial, aggression), one softmax over the behaviours plus "none", trained
with class-weighted categorical cross-entropy. The model's output keeps only the behaviour
columns, so it has the shape and meaning of the sigmoid head's (a probability per
behaviour, their sum now <= 1): PR-AUC, thresholds, ensembles, ``predict`` and ``suggest``
use it unchanged. Labels that overlap are refused before a search starts
(:mod:`mbr_search.search.exclusive`).

Nothing here imports Keras at import time (the parameter rules read :data:`HEADS`).
"""

from __future__ import annotations

from typing import Any

SIGMOID = "sigmoid"
SOFTMAX = "softmax"
HEADS = (SIGMOID, SOFTMAX)


def is_exclusive(params: object) -> bool:
    """Whether ``params`` (any family's) ask for the softmax head."""
    return getattr(params, "head", SIGMOID) == SOFTMAX


def output_layer(x: Any, n_outputs: int, head: str, prefix: str = "") -> tuple[Any, Any]:
    """(per-frame probabilities of the ``n_outputs`` behaviours, the loss to compile);
    ``prefix`` names the layers of one of several heads (MS-TCN's stages)."""
    import keras

    from mbr_search.models.layers import BehaviourColumns
    from mbr_search.models.losses import weighted_bce, weighted_exclusive_ce

    if head == SOFTMAX:
        # The last unit is "none"; it stays inside the softmax (so the behaviours' sum can
        # be below 1) and is dropped from the output, which the loss reconstructs.
        probs = keras.layers.Dense(n_outputs + 1, activation="softmax", name=f"{prefix}exclusive")(
            x
        )
        columns = BehaviourColumns(n_outputs, name=f"{prefix}behaviours")(probs)
        return columns, weighted_exclusive_ce
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid", name=f"{prefix}behaviours")(x)
    return outputs, weighted_bce
