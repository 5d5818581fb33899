"""What a model family is: its typed hyperparameters and the layers it puts on the features."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mbr_search.models._params import Params

#: (inputs, inputs after input dropout, params) -> per-frame tensor before the output layer
Stack = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Family:
    """One registered model family (see :data:`mbr_search.models.FAMILIES`)."""

    name: str
    params: type[Params]
    stack: Stack
    #: run once on the built network, e.g. to attach weight constraints
    finish: Callable[[Any, Any], None] | None = None
    description: str = ""
