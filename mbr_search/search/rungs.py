"""One fidelity axis for the pruner: epochs of the first fold, then folds.

With ``pruner: hyperband`` or ``successive_halving`` a trial reports inside its first fold,
after every epoch, as well as after each fold. Steps must mean the same budget for every
trial, so the axis is fixed by the study, not by the trial:

- step ``e - 1`` (0 .. max_epochs-1): epoch ``e`` of the first fold; the value is the best
  validation PR-AUC of that fold so far (what early stopping would keep: a fold that stops
  early on patience has simply reported fewer epoch steps, it is not pruned for it);
- step ``max_epochs + f``: after fold ``f``; the value is the running mean over folds, as
  the median pruner hears it.

The same fold and the same epoch count give the same step in every trial. Frame families
(gbdt) have no epochs and report only the fold steps. Median and Wilcoxon keep their fold-
only steps (``0 .. folds-1``), as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: pruners that hear the epochs of the first fold
EPOCH_PRUNERS = ("hyperband", "successive_halving")


@dataclass(frozen=True)
class StepAxis:
    """Where a report lands on the study's step axis."""

    max_epochs: int
    epoch_reports: bool

    @classmethod
    def for_pruner(cls, pruner: str, max_epochs: int) -> StepAxis:
        return cls(max_epochs, pruner in EPOCH_PRUNERS)

    def epoch_step(self, fold_position: int, epoch: int) -> int | None:
        """The step of ``epoch`` (1-based) in the ``fold_position``-th fold run, or None
        when that epoch is not reported (only the first fold's epochs are)."""
        if not self.epoch_reports or fold_position != 0 or not 1 <= epoch <= self.max_epochs:
            return None
        return epoch - 1

    def fold_step(self, fold_position: int) -> int:
        return (self.max_epochs if self.epoch_reports else 0) + fold_position


class BestSoFar:
    """The best score a fold has reached by each epoch (None scores are skipped)."""

    def __init__(self) -> None:
        self.value = -math.inf

    def update(self, score: float | None) -> float | None:
        if score is not None and score > self.value:
            self.value = score
        return None if self.value == -math.inf else self.value
