"""What a search's trials can share instead of paying for it again: compiled Keras models
and each fold's cut, standardised sequences.

**Models.** A trial's first fit traces Keras's train and predict steps (seconds on CPU, see
``docs/benchmarks.md``, *search efficiency*). Trials whose models have the same
architecture (family, layers, units, dropout, input width, output groups; learning rate,
batch size and ``seq_len`` may differ, since the input is ``(batch, time, features)`` with
free batch and time) take the previous trial's compiled models from :class:`ModelPool`.
They are restarted to exactly the state a rebuild would have: the new trial's seed builds
fresh *uncompiled* models (cheap: no tracing), whose variables (weights and dropout seed
states) are copied in; the optimizer's state is zeroed and its learning rate set. Dropout
is part of the traced step, so a different dropout is a different architecture here.

**Sequences.** A fold's training and validation sequences depend only on the fold's videos,
the feature view and ``seq_len``; :class:`SequenceCache` keeps them for the next trial with
that ``seq_len`` while they fit in its byte budget (never for trials that augment: their
copies are drawn per fold seed). When the budget is full nothing more is kept: folds are
visited in the same order by every trial, so evicting would make every lookup miss.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.models import SequenceParams

if TYPE_CHECKING:
    import keras

    from mbr_search.models.build import Resettable
    from mbr_search.training.seeds import OutputGroup
    from mbr_search.training.sequences import Batchable

#: hyperparameters that change neither the layers nor the traced step
RESTARTABLE = ("learning_rate", "batch_size", "seq_len", "augment", "windows")
#: architectures kept; each holds one compiled model per output group
POOL_SIZE = 6
#: bytes of float16 sequences kept across trials: within the headroom a thesis-scale search
#: has under its 2 GB target (1.78 GB measured, docs/benchmarks.md *memory*). Pose features
#: fit whole (the 15 rat training videos are ~45 MB); a thesis-scale fold (~300 MB) does not
SEQUENCE_BYTES = 128 * 2**20


def architecture(
    params: SequenceParams, groups: Sequence[OutputGroup], n_features: int
) -> tuple[str, ...]:
    """The key under which compiled models are shared: everything that shapes the layers."""
    values = {k: v for k, v in params.to_dict().items() if k not in RESTARTABLE}
    shape = [n_features, [[g.name, list(g.columns)] for g in groups]]
    return (params.family, json.dumps(values, sort_keys=True), json.dumps(shape))


class ModelPool:
    """Compiled models of recent trials, by :func:`architecture` (least recently used
    dropped first). One per search process; retraining builds its own models."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self.size = size
        self._models: OrderedDict[Hashable, dict[str, Resettable]] = OrderedDict()
        #: trials that reused compiled models / built their own (measured by benchmarks)
        self.reused = 0
        self.built = 0

    def take(self, key: Hashable) -> dict[str, Resettable] | None:
        return self._models.pop(key, None)

    def give(self, key: Hashable, models: dict[str, Resettable]) -> None:
        self._models[key] = models
        self._models.move_to_end(key)
        while len(self._models) > self.size:
            self._models.popitem(last=False)


def restart(
    models: dict[str, Resettable], fresh: dict[str, keras.Model], learning_rate: float
) -> bool:
    """Give the pooled ``models`` the state of the ``fresh`` uncompiled ones; False when
    their variables do not line up (then the caller builds instead)."""
    for name, model in models.items():
        if len(model.net.variables) != len(fresh[name].variables):
            return False
    for name, model in models.items():
        for var, value in zip(model.net.variables, fresh[name].variables, strict=True):
            var.assign(np.asarray(value))
        model.restart(learning_rate)
    return True


@dataclass
class SequenceCache:
    """Cut sequences of one search, kept while they fit in ``max_bytes``."""

    max_bytes: int = SEQUENCE_BYTES
    _kept: dict[Hashable, Batchable] = field(default_factory=dict)
    used: int = 0
    hits: int = 0
    misses: int = 0

    def get(self, key: Hashable, cut: Callable[[], Batchable]) -> Batchable:
        if key in self._kept:
            self.hits += 1
            return self._kept[key]
        self.misses += 1
        made = cut()
        size = made.x.nbytes + made.y.nbytes + made.mask.nbytes
        if self.used + size <= self.max_bytes:
            self._kept[key] = made
            self.used += size
        return made


@dataclass
class Reuse:
    """What one search process shares between its trials (the objective owns it)."""

    models: ModelPool = field(default_factory=ModelPool)
    sequences: SequenceCache = field(default_factory=SequenceCache)

    @classmethod
    def nothing(cls) -> Reuse:
        """Share nothing: every trial builds its models and cuts its sequences (measured
        against the default by ``benchmarks/search_efficiency.py``)."""
        return cls(ModelPool(size=0), SequenceCache(max_bytes=0))
