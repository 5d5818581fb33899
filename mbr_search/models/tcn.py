"""TCN family (thesis §4.3): keras-tcn residual stacks of dilated convolutions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from mbr_search.models._family import Family
from mbr_search.models._params import (
    SequenceParams,
    boolean,
    fraction,
    integer,
    one_of,
    param,
)

NORMS = ("batch", "layer", "weight", "none")


@dataclass(frozen=True)
class TcnParams(SequenceParams):
    family: ClassVar[str] = "tcn"

    tcn_layers: int = param(1, *integer(1, 5))
    tcn_filters: int = param(256, *integer(1))
    tcn_kernel_size: int = param(3, *integer(2))
    tcn_norm: str = param("none", *one_of(*NORMS))
    tcn_dilations: int = param(6, *integer(1, 12))
    tcn_causal: bool = param(True, *boolean())
    tcn_dropout: float = param(0.0, *fraction())


def stack(inputs: Any, x: Any, params: TcnParams) -> Any:
    from tcn import TCN

    dilations = [2**j for j in range(params.tcn_dilations)]
    for i in range(params.tcn_layers):
        x = TCN(
            nb_filters=params.tcn_filters,
            kernel_size=params.tcn_kernel_size,
            dilations=dilations,
            padding="causal" if params.tcn_causal else "same",
            use_skip_connections=True,
            dropout_rate=params.tcn_dropout,
            return_sequences=True,
            use_batch_norm=params.tcn_norm == "batch",
            use_layer_norm=params.tcn_norm == "layer",
            name=f"tcn_{i}",
        )(x)
    return x


def finish(net: Any, params: TcnParams) -> None:
    # keras-tcn 3.5.6 dropped WeightNormalization (it needed tensorflow-addons). We keep the
    # thesis' "weight" option as a weight-norm projection: every conv filter is renormalised
    # to unit L2 norm after each update, which decouples its direction from its scale.
    if params.tcn_norm != "weight":
        return
    import keras

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


FAMILY = Family("tcn", TcnParams, stack, finish, description="keras-tcn dilated residual stacks")
