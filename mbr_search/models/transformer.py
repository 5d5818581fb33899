"""Transformer encoder family (thesis §6.1 future work): self-attention over the frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mbr_search.models._family import Family
from mbr_search.models._params import SequenceParams, integer, param


@dataclass(frozen=True)
class TransformerParams(SequenceParams):
    family: ClassVar[str] = "transformer"

    transformer_layers: int = param(2, *integer(1, 8))
    transformer_dim: int = param(64, *integer(4))
    transformer_heads: int = param(4, *integer(1, 16))
    transformer_ff: int = param(2, *integer(1, 8))


def stack(inputs: Any, x: Any, params: TransformerParams) -> Any:
    # Padded frames (all-zero inputs) are masked out of attention.
    import keras
    from keras import ops

    from mbr_search.models.layers import SinusoidalPosition

    dim, heads, rate = params.transformer_dim, params.transformer_heads, params.dropout
    mask = ops.any(ops.not_equal(inputs, 0.0), axis=-1)
    attention_mask = ops.logical_and(mask[:, :, None], mask[:, None, :])
    x = keras.layers.Dense(dim, name="project")(x)
    x = SinusoidalPosition(name="position")(x)
    for i in range(params.transformer_layers):
        attn = keras.layers.MultiHeadAttention(
            heads, max(dim // heads, 1), dropout=rate, name=f"attention_{i}"
        )(x, x, attention_mask=attention_mask)
        x = keras.layers.LayerNormalization(name=f"norm_a{i}")(x + attn)
        ff = keras.layers.Dense(dim * params.transformer_ff, activation="gelu", name=f"ff_{i}")(x)
        ff = keras.layers.Dense(dim, name=f"ff_out_{i}")(keras.layers.Dropout(rate)(ff))
        x = keras.layers.LayerNormalization(name=f"norm_f{i}")(x + ff)
    return x


FAMILY = Family(
    "transformer", TransformerParams, stack, description="Transformer encoder over frames"
)
