"""LSTM family (thesis §3.3): stacked, optionally bidirectional, units halving per layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mbr_search.models._family import Family
from mbr_search.models._params import SequenceParams, boolean, integer, param


@dataclass(frozen=True)
class LstmParams(SequenceParams):
    family: ClassVar[str] = "lstm"

    lstm_layers: int = param(1, *integer(1, 5))
    lstm_units: int = param(64, *integer(2))
    bidirectional: bool = param(False, *boolean())


def stack(inputs: Any, x: Any, params: LstmParams) -> Any:
    # Padded frames (all-zero inputs at a video's tail) are masked: a backward LSTM would
    # otherwise start its pass in the padding and carry it into the real frames.
    import keras
    from keras import ops

    from mbr_search.models.layers import EndMask

    mask = ops.any(ops.not_equal(inputs, 0.0), axis=-1)
    for i in range(params.lstm_layers):
        layer = keras.layers.LSTM(
            max(params.lstm_units // 2**i, 2), return_sequences=True, name=f"lstm_{i}"
        )
        if params.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bilstm_{i}")
        x = layer(x, mask=mask)
    return EndMask(name="end_mask")(x)


FAMILY = Family("lstm", LstmParams, stack, description="stacked (bi)LSTM, units halving per layer")
