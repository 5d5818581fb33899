"""What ``run`` stores on a study (Optuna study user attributes), typed: the study's twin of
:class:`~mbr_search.search.record.TrialRecord`.

``run`` writes it once per run (only the keys that changed); ``evaluate`` and ``report``
read it back through :meth:`StudyRecord.from_attrs`, never by string key. A study written
by an older mbr-search lacks some keys: they read as None or empty, and the readers fall
back to the study file as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mbr_search.jsondoc import JSON, JSONObject
from mbr_search.search.folds import FoldSummary

if TYPE_CHECKING:
    import optuna

STUDY_FILE = "study_file"
DATASET = "dataset"
BACKBONE = "backbone"
SPACE = "space"
BEHAVIOURS = "behaviours"
BASELINE = "baseline_pr_auc"
FOLDS = "folds"
OVERRIDES = "overrides"


@dataclass(frozen=True)
class StudyRecord:
    """The study file, dataset, features and space a search ran with, its behaviours, the
    prevalence baseline, the folds (with their prevalence) and the ``--set`` overrides
    (storage URLs already redacted by the writer)."""

    study_file: str | None = None
    dataset: str | None = None
    backbone: str | None = None
    space: str | None = None
    behaviours: tuple[str, ...] = ()
    baseline_pr_auc: float | None = None
    folds: tuple[FoldSummary, ...] = ()
    overrides: tuple[tuple[str, JSON], ...] = ()

    def to_attrs(self) -> JSONObject:
        return {
            STUDY_FILE: self.study_file,
            DATASET: self.dataset,
            BACKBONE: self.backbone,
            SPACE: self.space,
            BEHAVIOURS: list(self.behaviours),
            BASELINE: self.baseline_pr_auc,
            FOLDS: [f.to_json() for f in self.folds],
            OVERRIDES: [[k, v] for k, v in self.overrides],
        }

    def write(self, study: optuna.Study) -> None:
        """Set the attributes that differ from what the study holds (one storage write
        each: a resumed run with nothing new writes nothing)."""
        current = study.user_attrs
        for key, value in self.to_attrs().items():
            if current.get(key) != value:
                study.set_user_attr(key, value)

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> StudyRecord:
        baseline = attrs.get(BASELINE)
        return cls(
            study_file=_text(attrs.get(STUDY_FILE)),
            dataset=_text(attrs.get(DATASET)),
            backbone=_text(attrs.get(BACKBONE)),
            space=_text(attrs.get(SPACE)),
            behaviours=tuple(str(b) for b in attrs.get(BEHAVIOURS) or ()),
            baseline_pr_auc=float(baseline) if isinstance(baseline, int | float) else None,
            folds=_folds(attrs.get(FOLDS)),
            overrides=_overrides(attrs.get(OVERRIDES)),
        )

    @classmethod
    def from_study(cls, study: optuna.Study) -> StudyRecord:
        return cls.from_attrs(study.user_attrs)


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _folds(raw: object) -> tuple[FoldSummary, ...]:
    """The stored folds; () when absent or unreadable (a study from before folds were
    stored: readers then recompute them)."""
    if not isinstance(raw, list):
        return ()
    try:
        return tuple(FoldSummary.from_json(item) for item in raw)
    except (KeyError, TypeError, ValueError):
        return ()


def _overrides(raw: object) -> tuple[tuple[str, JSON], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(item[0]), item[1]) for item in raw if isinstance(item, list | tuple) and len(item) == 2
    )
