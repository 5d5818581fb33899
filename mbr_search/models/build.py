"""Building and resetting a family's Keras classifier.

A model is built and compiled once per trial; :meth:`Resettable.reset` restores its initial
weights and clears the optimizer state between folds, which keeps the traced train step (a
rebuild costs ~10 s of tracing per fold on CPU, a reset well under 1 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mbr_search.models import get_family
from mbr_search.models._params import SequenceParams

if TYPE_CHECKING:
    import keras


def build_model(
    params: SequenceParams, *, n_features: int, n_outputs: int, compile: bool = True
) -> keras.Model:
    """A compiled Keras model mapping (batch, time, features) to (batch, time, n_outputs)
    (a multi-stage family: to every stage's n_outputs side by side, the last the prediction);
    ``compile=False`` only builds it (its initial state, for restarting a pooled model)."""
    import keras

    # Imported for their registration with Keras' serialiser (loading saved models).
    from mbr_search.models import layers  # noqa: F401
    from mbr_search.models.heads import output_layer

    family = get_family(params.family)
    if family.stack is None:
        raise TypeError(f"{family.name} is a {family.kind} family: it has no Keras network")
    inputs = keras.Input(shape=(None, n_features), name="features")
    x = keras.layers.Dropout(params.dropout, name="input_dropout")(inputs)
    x = family.stack(inputs, x, params)
    if family.output is not None:
        outputs, loss = family.output(x, n_outputs, params)
    else:
        outputs, loss = output_layer(x, n_outputs, params.head)
    net = keras.Model(inputs, outputs, name=f"{family.name}_classifier")
    if family.finish is not None:
        family.finish(net, params)
    if not compile:
        return net
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate=params.learning_rate),
        loss=loss,
        jit_compile=False,  # XLA measured slower on CPU for these shapes
    )
    return net


class Resettable:
    """A compiled model plus its initial weights, resettable between folds."""

    def __init__(self, net: keras.Model) -> None:
        self.net = net
        self._initial = [np.array(w) for w in net.get_weights()]

    def reset(self) -> None:
        """Initial weights back; optimizer slots and step counter zeroed, learning rate kept."""
        from keras import ops

        self.net.set_weights(self._initial)
        optimizer = self.net.optimizer
        # The learning rate is an optimizer variable too: zeroing it would freeze training.
        keep = getattr(optimizer, "_learning_rate", None)
        for var in optimizer.variables:
            if var is keep or var.name == "learning_rate":
                continue
            var.assign(ops.zeros(var.shape, dtype=var.dtype))

    def restart(self, learning_rate: float) -> None:
        """Take the current weights as the initial ones (a pooled model given a new trial's
        state, ``training/reuse.py``), zero the optimizer and set its learning rate."""
        self._initial = [np.array(w) for w in self.net.get_weights()]
        self.reset()
        self.net.optimizer.learning_rate.assign(learning_rate)
