"""Model families: the classifiers a search can put on per-frame features.

Adding a family is one module here (a :class:`Params` subclass, and for a Keras sequence
family a ``stack`` function) plus one entry in :data:`FAMILIES`; the search space loader, the
objective, ``evaluate`` and ``predict`` all find it through :func:`get_family`, and its
:attr:`Family.kind` picks the trainer (``training/trainers.py``). Nothing here imports Keras
or LightGBM at import time: building is :func:`mbr_search.models.build.build_model`; fitting
is training's (a booster: :func:`mbr_search.training.boost.fit_booster`).
"""

from __future__ import annotations

from mbr_search.errors import ConfigError
from mbr_search.models import gbdt, lstm, mstcn, tcn, transformer
from mbr_search.models._family import FRAME, KINDS, SEQUENCE, Family, final_block
from mbr_search.models._params import MODEL_KEY, ParamRule, Params, SequenceParams

__all__ = [
    "FAMILIES", "FRAME", "KINDS", "MODEL_KEY", "SEQUENCE", "Family", "ParamRule", "Params",
    "SequenceParams", "family_of_param", "final_block", "get_family",
]  # fmt: skip

FAMILIES: dict[str, Family] = {
    f.name: f for f in (lstm.FAMILY, tcn.FAMILY, transformer.FAMILY, gbdt.FAMILY, mstcn.FAMILY)
}


def get_family(name: str) -> Family:
    """The registered family ``name``; an unknown name lists the registry."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ConfigError(
            f"unknown model family '{name}'. Fix: use one of {sorted(FAMILIES)} "
            "(a new family is one module in mbr_search/models/ plus one FAMILIES entry)."
        ) from None


def family_of_param(name: str) -> list[str]:
    """The families that declare hyperparameter ``name`` (for error messages)."""
    return sorted(f.name for f in FAMILIES.values() if name in f.params.rules())
