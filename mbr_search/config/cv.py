"""The study's ``cv`` section: how training videos are split into folds (the splitting
itself is :mod:`mbr_search.search.folds`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mbr_search.config._schema import Section
from mbr_search.config.dataset import Dataset
from mbr_search.errors import ConfigError

CVScheme = Literal["leave_one_video_out", "group_kfold"]
CV_SCHEMES: tuple[CVScheme, ...] = ("leave_one_video_out", "group_kfold")


@dataclass(frozen=True)
class CVConfig:
    """Cross-validation over training videos; test videos are never used here."""

    scheme: CVScheme = "leave_one_video_out"
    k: int = 5
    #: quick look: evaluate only the first n folds of each trial
    max_folds: int | None = None
    #: with max_folds: the best n quick-look trials are re-run on all folds at the end of
    #: the run (search/promotion.py), so "best" is never a quick look; 0 turns it off
    promote: int = 3
    #: with max_folds: promote at least this many quick looks, so ensemble selection (which
    #: only takes trials scored on every fold) has real candidates (docs/usage.md)
    ensemble_pool: int = 6
    #: group_kfold only: deal videos to folds so each behaviour's positives spread evenly
    #: (search/folds.py); false: a plain seeded permutation of the videos
    stratify: bool = True

    @property
    def promoted(self) -> int:
        """How many quick looks a finished run re-runs on all folds (0: none)."""
        return max(self.promote, self.ensemble_pool) if self.promote > 0 else 0

    def folds(self, n_train: int) -> int:
        """How many folds a trial is scored on (before any promotion)."""
        total = n_train if self.scheme == "leave_one_video_out" else min(self.k, n_train)
        return min(total, self.max_folds) if self.max_folds else total


def parse_cv(sec: Section, dataset: Dataset) -> CVConfig:
    """The study's ``cv`` section, checked against the dataset's training videos."""
    d = CVConfig()  # the defaults, written once (in the dataclass)
    scheme = sec.text("scheme", d.scheme, choices=CV_SCHEMES)
    cv = CVConfig(
        scheme=next(s for s in CV_SCHEMES if s == scheme),
        k=sec.integer("k", d.k, minimum=2),
        max_folds=sec.integer("max_folds", d.max_folds, minimum=1),
        promote=sec.integer("promote", d.promote, minimum=0),
        ensemble_pool=sec.integer("ensemble_pool", d.ensemble_pool, minimum=0),
        stratify=sec.flag("stratify", d.stratify),
    )
    sec.finish()
    n_train = len(dataset.split("train"))
    if n_train < 2:
        raise ConfigError(
            f"{dataset.path}: cross-validation needs at least 2 training videos, found {n_train}."
        )
    if cv.scheme == "group_kfold" and cv.k > n_train:
        raise sec.fail("k", f"{cv.k} folds but only {n_train} training videos. Fix: lower k.")
    return cv


def check_pruner_folds(path: Path, pruner: str, cv: CVConfig, n_train: int) -> None:
    """Wilcoxon compares a trial with the best one fold by fold: with one fold there is
    nothing to test, and the pruner would silently never prune."""
    folds = cv.folds(n_train)
    if pruner == "wilcoxon" and folds < 2:
        raise ConfigError(
            f"{path}: pruner 'wilcoxon' needs at least 2 folds per trial, cv gives {folds} "
            "(cv.max_folds or the training videos). Fix: raise cv.max_folds, or use pruner "
            "'median' or 'none'."
        )
