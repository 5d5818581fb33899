"""Ranking complete trials by fidelity first: a score on 2 folds is not comparable with one
on 4, so trials are ranked only against trials scored on the same folds.

A study can hold trials scored on different folds: some run with ``cv.max_folds`` (a quick
look on the first folds) and others on all of them, or folds added later. A 2-fold mean is
noisier and usually higher (the search picked it from many such looks), so ranking it
against a full score would crown luck. The group of trials scored on the most folds wins;
the others are left out of evaluate's ranking (and of ensemble selection) and said so.
Pure: reads only each trial's value, number and recorded fold scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbr_search.search.record import TrialRecord

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial


def folds_of(trial: FrozenTrial) -> tuple[str, ...]:
    """The folds a trial was scored on (fold indices as stored), in numeric order.

    A study written before fold scores were recorded has none: all its trials then fall in
    the one empty group and are ranked by value, as before.
    """
    keys = TrialRecord.from_trial(trial).fold_scores
    return tuple(sorted(keys, key=lambda k: (len(k), k)))


def by_value(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Best value first; ties go to the lower trial number (deterministic)."""
    return sorted(trials, key=lambda t: (-float(t.value or 0.0), t.number))


@dataclass(frozen=True)
class Ranking:
    """Complete trials split by fidelity: ``ranked`` (the trials scored on ``folds``, best
    first) and ``left_out`` (scored on other folds, best first within each fold set)."""

    ranked: tuple[FrozenTrial, ...]
    left_out: tuple[FrozenTrial, ...]
    folds: tuple[str, ...]

    @property
    def best(self) -> FrozenTrial:
        return self.ranked[0]

    def ordered(self) -> list[FrozenTrial]:
        """Every trial: the ranked ones, then the left-out ones by fold count and value.

        For lists that show every trial (the report): a lower-fidelity trial never stands
        above a full one, however high its value.
        """
        rest = sorted(self.left_out, key=lambda t: (-len(folds_of(t)), -float(t.value or 0.0)))
        return [*self.ranked, *rest]

    def note(self) -> str | None:
        """One line for evaluate's output when trials were left out, else None."""
        if not self.left_out:
            return None
        fewer = sorted({len(folds_of(t)) for t in self.left_out})
        shown = "/".join(str(n) for n in fewer)
        return (
            f"{len(self.left_out)} complete trial(s) left out for lower fidelity (scored on "
            f"{shown} fold(s), not the {len(self.folds)} of the {len(self.ranked)} ranked "
            "trial(s)): a mean over fewer folds is not ranked against a full one."
        )


def rank_by_fidelity(trials: Sequence[FrozenTrial]) -> Ranking:
    """Group ``trials`` (complete, with a value) by their fold set and rank the best group.

    The group scored on the most folds wins; between two fold sets of the same size (folds
    recorded differently, rare) the larger group, then the better best value, wins. Raises
    ValueError on an empty sequence (callers check for a complete trial first).
    """
    if not trials:
        raise ValueError("rank_by_fidelity needs at least one trial")
    groups: dict[tuple[str, ...], list[FrozenTrial]] = {}
    for trial in trials:
        groups.setdefault(folds_of(trial), []).append(trial)

    def strength(item: tuple[tuple[str, ...], list[FrozenTrial]]) -> tuple[int, int, float]:
        folds, members = item
        return len(folds), len(members), max(float(t.value or 0.0) for t in members)

    folds, _ = max(groups.items(), key=strength)
    ranked = by_value(groups.pop(folds))
    left_out = by_value([t for members in groups.values() for t in members])
    return Ranking(tuple(ranked), tuple(left_out), folds)
