"""What a model family is: its typed hyperparameters, its kind, and (Keras) its layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mbr_search.models._params import Params

#: (inputs, inputs after input dropout, params) -> per-frame tensor before the output layer
Stack = Callable[[Any, Any, Any], Any]

#: (per-frame tensor, number of behaviours, params) -> (network output, loss to compile), for
#: a family that builds its own output: several blocks of behaviour columns side by side,
#: the last block the prediction (see :func:`final_block`)
Output = Callable[[Any, int, Any], tuple[Any, Any]]

#: A Keras network over sequences of frames (trained by training/trainers.py's sequence
#: trainer) or a model of single frames (its frame trainer).
FamilyKind = Literal["sequence", "frame"]
SEQUENCE: FamilyKind = "sequence"
FRAME: FamilyKind = "frame"
KINDS: tuple[FamilyKind, ...] = (SEQUENCE, FRAME)


@dataclass(frozen=True)
class Family:
    """One registered model family (see :data:`mbr_search.models.FAMILIES`).

    ``kind`` picks the trainer (``training.trainers.TRAINERS[kind]``); a sequence family
    gives the ``stack`` of layers put on the features, a frame family needs none.
    """

    name: str
    params: type[Params]
    stack: Stack | None = None
    #: run once on the built network, e.g. to attach weight constraints
    finish: Callable[[Any, Any], None] | None = None
    description: str = ""
    kind: FamilyKind = SEQUENCE
    #: None: one head of the params' ``head`` kind (models/heads.py) on the stack
    output: Output | None = None
    #: whether the shipped ``auto_*`` spaces search it: a family joins them once the nested
    #: yardstick (benchmarks/quality.py) has measured it, not when it is registered
    in_auto: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"family {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == SEQUENCE and self.stack is None:
            raise ValueError(f"family {self.name}: a sequence family needs a stack")


def final_block(pred: Any, n: int) -> Any:
    """The prediction in a network's output: its last ``n`` columns. A one-head network
    outputs exactly ``n``; a multi-stage one (MS-TCN) every stage's ``n`` side by side."""
    return pred[..., -n:]
