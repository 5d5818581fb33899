"""Warm start: enqueue the best configurations of an earlier study, mapped onto this space.

A small pilot study (fewer videos, another backbone) already knows which regions of the
space are good; its top trials become the first trials here. A parameter this space does
not search is dropped (and reported); a value outside this space's range or choices is
dropped too, and the sampler fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbr_search.config.space import Param, SearchSpace
from mbr_search.errors import NoCompleteTrialError, UsageError
from mbr_search.jsondoc import JSON

if TYPE_CHECKING:
    import optuna

#: How many of the earlier study's best trials are enqueued.
TOP = 5


@dataclass(frozen=True)
class WarmStart:
    """What was taken from the earlier study."""

    source: str
    enqueued: tuple[dict[str, JSON], ...]
    dropped: tuple[str, ...]

    def describe(self) -> str:
        text = (
            f"warm start: enqueued {len(self.enqueued)} configuration(s) of study '{self.source}'"
        )
        if self.dropped:
            text += f"; not in this space, dropped: {', '.join(self.dropped)}"
        return text


def parse_reference(value: str, default_storage: str | None) -> tuple[str, str | None]:
    """``NAME`` or ``NAME@STORAGE_URL`` -> (study name, storage URL or the default)."""
    name, sep, storage = value.partition("@")
    if not name.strip() or (sep and not storage.strip()):
        raise UsageError(
            f"--warm-start {value!r}: expected STUDY or STUDY@STORAGE_URL, e.g. "
            "--warm-start pilot or --warm-start pilot@sqlite:///pilot.db."
        )
    return name.strip(), storage.strip() if sep else default_storage


def map_params(values: Mapping[str, JSON], space: SearchSpace) -> tuple[dict[str, JSON], list[str]]:
    """The values this space searches, and the names it does not (or whose value it
    cannot take)."""
    searched = {p.name: p for p in space.params}
    kept = {k: v for k, v in values.items() if k in searched and _fits(searched[k], v)}
    fixed = {k for k, _ in space.fixed}
    dropped = sorted(k for k in values if k not in kept and k not in fixed)
    return kept, dropped


def warm_start(
    target: optuna.Study, source: optuna.Study, space: SearchSpace, top: int = TOP
) -> WarmStart:
    """Enqueue ``source``'s ``top`` complete trials into ``target`` (both Optuna studies)."""
    import optuna

    from mbr_search.search.fidelity import rank_by_fidelity

    state = optuna.trial.TrialState.COMPLETE
    complete = [t for t in source.get_trials(deepcopy=False) if t.state == state]
    if not complete:
        raise NoCompleteTrialError(
            f"--warm-start: study '{source.study_name}' has no complete trial to start from. "
            "Fix: run it first, or drop --warm-start."
        )
    # Best first, and a partial score (a quick look, a trial pruned by value) never ahead
    # of a trial scored on all folds.
    complete = rank_by_fidelity(complete).ordered()
    enqueued: list[dict[str, JSON]] = []
    dropped: set[str] = set()
    for trial in complete[:top]:
        # The sampled values, not the resolved ones: a family default that the earlier
        # space did not search is no configuration of its own.
        params, gone = map_params(trial.params, space)
        dropped.update(gone)
        if params and params not in enqueued:
            target.enqueue_trial(params, skip_if_exists=True)
            enqueued.append(params)
    return WarmStart(source.study_name, tuple(enqueued), tuple(sorted(dropped)))


def _fits(param: Param, value: JSON) -> bool:
    if param.type == "categorical":
        return value in param.choices
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if param.type == "int" and not float(value).is_integer():
        return False
    return float(param.low or 0.0) <= float(value) <= float(param.high or 0.0)
