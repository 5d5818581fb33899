"""MS-TCN family (Farha & Gall, CVPR 2019; DLC2Action's default ``ms_tcn3``).

A prediction stage of dilated residual layers (dilation 1, 2, 4, ...; centred, so each
frame sees both sides) puts out per-frame probabilities; each refinement stage reads only
the previous stage's probabilities through its own dilated layers and puts out new ones.
Every stage is supervised with the head's weighted loss, plus MS-TCN's smoothing loss: the
truncated MSE between neighbouring frames' log-probabilities (tau 4, weight
``mstcn_smoothing``; 0.15 in the paper and in DLC2Action). Refinement is what the family
adds over ``tcn``: it smooths over-segmented predictions (short flickers inside a bout).

The network outputs every stage's probabilities side by side (the loss needs them all);
the last block is the prediction (:func:`mbr_search.models.final_block`), so training,
``evaluate`` and ``predict`` see the same ``(frames, behaviours)`` as for other families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mbr_search.models._family import Family
from mbr_search.models._params import SequenceParams, fraction, integer, non_negative, param
from mbr_search.models.heads import is_exclusive, output_layer


@dataclass(frozen=True)
class MstcnParams(SequenceParams):
    family: ClassVar[str] = "mstcn"

    #: refinement stages after the prediction stage (ms_tcn3: 3; 0 is a single-stage TCN)
    mstcn_stages: int = param(3, *integer(0, 5))
    #: dilated residual layers of the prediction stage (receptive field 2^(layers+1) - 1)
    mstcn_layers: int = param(10, *integer(1, 15))
    #: dilated residual layers of each refinement stage
    mstcn_refine_layers: int = param(10, *integer(1, 15))
    mstcn_filters: int = param(64, *integer(1))
    #: dropout inside every residual layer (the input dropout is ``dropout``)
    mstcn_dropout: float = param(0.5, *fraction())
    #: weight of the smoothing loss (0: cross-entropy only)
    mstcn_smoothing: float = param(0.15, *non_negative())


def stack(inputs: Any, x: Any, params: MstcnParams) -> Any:
    """The prediction stage's per-frame features."""
    return _stage(x, params.mstcn_layers, params, "pg")


def output(x: Any, n_outputs: int, params: MstcnParams) -> tuple[Any, Any]:
    """Every stage's probabilities side by side, and the staged loss."""
    import keras

    from mbr_search.models.losses import StagedLoss

    probs, _ = output_layer(x, n_outputs, params.head, prefix="stage0_")
    stages = [probs]
    for s in range(1, params.mstcn_stages + 1):
        h = _stage(probs, params.mstcn_refine_layers, params, f"r{s}")
        probs, _ = output_layer(h, n_outputs, params.head, prefix=f"stage{s}_")
        stages.append(probs)
    packed = stages[0] if len(stages) == 1 else keras.layers.Concatenate(name="stages")(stages)
    return packed, StagedLoss(exclusive=is_exclusive(params), smoothing=params.mstcn_smoothing)


def _stage(x: Any, layers: int, params: MstcnParams, name: str) -> Any:
    """A 1x1 projection to ``mstcn_filters`` maps, then ``layers`` dilated residual layers
    (3-tap dilated conv, ReLU, 1x1 conv, dropout, added to the input)."""
    import keras

    filters = params.mstcn_filters
    h = keras.layers.Dense(filters, name=f"{name}_in")(x)
    for i in range(layers):
        d = keras.layers.Conv1D(
            filters, 3, padding="same", dilation_rate=2**i, activation="relu",
            name=f"{name}_dil{i}",
        )(h)  # fmt: skip
        d = keras.layers.Dense(filters, name=f"{name}_mix{i}")(d)
        d = keras.layers.Dropout(params.mstcn_dropout, name=f"{name}_drop{i}")(d)
        h = keras.layers.Add(name=f"{name}_res{i}")([h, d])
    return h


FAMILY = Family(
    "mstcn", MstcnParams, stack, output=output, in_auto=False,
    description="multi-stage TCN with refinement stages and a smoothing loss (MS-TCN)",
)  # fmt: skip
