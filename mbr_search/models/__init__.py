"""Model families: the temporal classifiers a search can put on per-frame features.

Adding a family is one module here (a :class:`Params` subclass and a ``stack`` function)
plus one entry in :data:`FAMILIES`; the search space loader, the objective, ``evaluate``
and ``predict`` all find it through :func:`get_family`. Nothing here imports Keras at import
time: building is :func:`mbr_search.models.build.build_model`.
"""

from __future__ import annotations

from mbr_search.errors import ConfigError
from mbr_search.models import lstm, tcn, transformer
from mbr_search.models._family import Family
from mbr_search.models._params import ParamRule, Params

__all__ = ["FAMILIES", "Family", "ParamRule", "Params", "family_of_param", "get_family"]

FAMILIES: dict[str, Family] = {f.name: f for f in (lstm.FAMILY, tcn.FAMILY, transformer.FAMILY)}


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
