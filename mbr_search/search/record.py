"""What a trial leaves in the study: :class:`TrialRecord`, one key per Optuna user attr.

Written by the objective fold by fold (a pruned or failed trial keeps what it reached) and
read back by ``run``'s summary, ``evaluate`` and ``report`` through :meth:`from_trial`, the
one place that knows the attribute names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mbr_search.jsondoc import JSON

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

#: Optuna user-attr names (stable: studies written by earlier versions use them too).
PARAMS = "resolved_params"
FOLD_SCORES = "fold_scores"
BEST_EPOCHS = "best_epochs"
SKIPPED = "skipped"
TRAIN_SECONDS = "train_seconds"
OOF = "oof_artifact_id"
FAIL_REASON = "fail_reason"
#: a promoted trial (search/promotion.py): the number of the quick-look trial it re-runs
PROMOTED_FROM = "promoted_from"
#: a trial pruned by value (``pruner.pruned_as: value``): where the pruner stopped it
PRUNED_AT = "pruned_at"

FoldScores = dict[str, dict[str, float | None]]
BestEpochs = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Skip:
    """A behaviour left out of one fold's score, and why."""

    fold: int
    behaviour: str
    reason: str


@dataclass(frozen=True)
class TrialRecord:
    """One trial's results beyond its value: per-fold scores, epochs, timing, artifacts."""

    number: int
    #: every hyperparameter, searched or fixed, and the family under ``model``
    params: dict[str, JSON]
    #: {fold: {behaviour: PR-AUC or None}}
    fold_scores: FoldScores = field(default_factory=dict)
    #: {fold: {output group: best epoch}}
    best_epochs: BestEpochs = field(default_factory=dict)
    skipped: tuple[Skip, ...] = ()
    train_seconds: float | None = None
    oof_artifact_id: str | None = None
    fail_reason: str | None = None
    #: set when the trial was pruned by value: its value is a partial (fewer folds) mean
    pruned_at: str | None = None

    def progress_json(self) -> dict[str, object]:
        """The attrs updated after every fold."""
        return {
            FOLD_SCORES: self.fold_scores,
            BEST_EPOCHS: self.best_epochs,
            SKIPPED: [[s.fold, s.behaviour, s.reason] for s in self.skipped],
            TRAIN_SECONDS: self.train_seconds,
        }

    @classmethod
    def from_attrs(
        cls, number: int, attrs: Mapping[str, Any], sampled: Mapping[str, Any]
    ) -> TrialRecord:
        """Read a stored trial; ``sampled`` (``trial.params``) stands in for old studies
        that did not record the resolved params."""
        return cls(
            number=number,
            params=dict(attrs[PARAMS]) if PARAMS in attrs else dict(sampled),
            fold_scores=dict(attrs[FOLD_SCORES]) if FOLD_SCORES in attrs else {},
            best_epochs=dict(attrs[BEST_EPOCHS]) if BEST_EPOCHS in attrs else {},
            skipped=tuple(Skip(int(f), str(b), str(r)) for f, b, r in attrs.get(SKIPPED, ())),
            train_seconds=_optional_float(attrs, TRAIN_SECONDS),
            oof_artifact_id=str(attrs[OOF]) if attrs.get(OOF) else None,
            fail_reason=str(attrs[FAIL_REASON]) if FAIL_REASON in attrs else None,
            pruned_at=str(attrs[PRUNED_AT]) if PRUNED_AT in attrs else None,
        )

    @classmethod
    def from_trial(cls, trial: FrozenTrial) -> TrialRecord:
        """The record of an Optuna ``FrozenTrial``."""
        return cls.from_attrs(trial.number, trial.user_attrs, trial.params)


def _optional_float(attrs: Mapping[str, Any], key: str) -> float | None:
    value = attrs.get(key)
    return None if value is None else float(value)
