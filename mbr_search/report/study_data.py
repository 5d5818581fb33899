"""Everything the report needs from the Optuna study, read once from the storage.

The storage is opened read-only (no heartbeat), a missing SQLite/journal file is refused
instead of being created empty, and every storage failure becomes a one-line,
password-free error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbr_search.errors import NoCompleteTrialError
from mbr_search.jsondoc import JSON
from mbr_search.search.fidelity import rank_by_fidelity
from mbr_search.search.folds import FoldSummary
from mbr_search.search.record import TrialRecord
from mbr_search.search.study_record import StudyRecord

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from mbr_search.config.study import StudyConfig
    from mbr_search.storage import StorageSpec

#: How many of the best complete trials get a fold-by-fold table.
TOP_TRIALS = 5
FOLD_TABLE_TRIALS = 3


@dataclass(frozen=True)
class StudyData:
    """A study as read from the storage, complete trials ranked best first."""

    study: optuna.Study
    name: str
    storage_display: str
    #: what ``run`` stored on the study (typed; older studies lack some of it)
    record: StudyRecord
    behaviours: tuple[str, ...]
    trials: tuple[FrozenTrial, ...]
    ranked: tuple[FrozenTrial, ...]
    counts: dict[str, int]
    baseline: float | None
    #: fold index (as stored, a string) -> validation video ids
    folds: dict[str, tuple[str, ...]]
    #: each fold's validation prevalence, as ``run`` stored it (empty: an older study)
    fold_summaries: tuple[FoldSummary, ...] = ()

    @property
    def best(self) -> FrozenTrial:
        return self.ranked[0]

    @property
    def top(self) -> tuple[FrozenTrial, ...]:
        return self.ranked[:TOP_TRIALS]

    def searched_params(self) -> list[str]:
        """Names of the parameters the sampler varied, in first-seen order."""
        names: dict[str, None] = {}
        for t in self.trials:
            names.update(dict.fromkeys(t.params))
        return list(names)

    def train_seconds(self) -> float:
        """Training time summed over every trial that recorded it (pruned ones too)."""
        return float(sum(TrialRecord.from_trial(t).train_seconds or 0.0 for t in self.trials))


def load_study_data(study_cfg: StudyConfig, spec: StorageSpec) -> StudyData:
    """Open ``spec`` read-only and collect the study ``study_cfg.study_name``.

    Raises :class:`StorageError` when the storage file or the study does not exist (naming
    the studies that do) and :class:`NoCompleteTrialError` when no trial completed.
    """
    import optuna

    from mbr_search.search.fingerprint import check_stored
    from mbr_search.storage import open_existing_study, storage_error

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    name = study_cfg.study_name
    study = open_existing_study(spec, name, f"mbr-search run {study_ref(study_cfg)}")
    check_stored(study, study_cfg)
    try:
        trials = tuple(study.get_trials(deepcopy=False))
        record = StudyRecord.from_attrs(study.user_attrs)
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "optuna.storages")):
            raise storage_error(exc, spec) from None
        raise
    states = optuna.trial.TrialState
    counts = {s.name: sum(t.state == s for t in trials) for s in states}
    complete = [t for t in trials if t.state == states.COMPLETE and t.value is not None]
    if not complete:
        raise NoCompleteTrialError(
            f"study '{name}' in '{spec.display}' has no complete trial yet "
            f"({counts['PRUNED']} pruned, {counts['FAIL']} failed, {counts['RUNNING']} running): "
            f"run `mbr-search run {study_ref(study_cfg)} --trials N` until one completes"
        )
    maximise = study.direction == optuna.study.StudyDirection.MAXIMIZE
    # Fidelity first, as evaluate ranks: a trial scored on fewer folds never stands above
    # one scored on all of them (search/fidelity.py).
    ranked = (
        rank_by_fidelity(complete).ordered()
        if maximise
        else sorted(complete, key=lambda t: (float(t.value or 0.0), t.number))
    )
    behaviours = record.behaviours or tuple(study_cfg.behaviours)
    summaries = record.folds
    return StudyData(
        study=study,
        name=name,
        storage_display=spec.display,
        record=record,
        behaviours=behaviours,
        trials=trials,
        ranked=tuple(ranked),
        counts=counts,
        baseline=record.baseline_pr_auc,
        folds=fold_videos(study_cfg, summaries),
        fold_summaries=summaries,
    )


def fold_videos(
    study_cfg: StudyConfig, stored: tuple[FoldSummary, ...] = ()
) -> dict[str, tuple[str, ...]]:
    """The validation videos of each fold: as ``run`` stored them, else recomputed as the
    objective made them before folds were stored (a plain permutation: stratified folds
    came with the stored attribute)."""
    from dataclasses import replace

    from mbr_search.errors import MbrSearchError
    from mbr_search.search.folds import make_folds

    if stored:
        return {str(f.index): f.validation for f in stored}
    ids = [v.id for v in study_cfg.dataset.split("train")]
    try:
        folds = make_folds(ids, replace(study_cfg.cv, stratify=False), study_cfg.seed)
    except MbrSearchError:
        return {}
    return {str(f.index): f.validation for f in folds}


def effective_overrides(
    study_cfg: StudyConfig, stored: tuple[tuple[str, JSON], ...]
) -> dict[str, JSON]:
    """The ``--set`` values the search ran with (study record), under the report's own."""
    merged: dict[str, JSON] = dict(stored)
    merged.update(dict(study_cfg.overrides))
    return merged


def mean_scores(trial: FrozenTrial, behaviours: tuple[str, ...]) -> dict[str, float | None]:
    """Each behaviour's PR-AUC averaged over the folds where it was defined."""
    folds = TrialRecord.from_trial(trial).fold_scores
    out: dict[str, float | None] = {}
    for b in behaviours:
        values = [v for s in folds.values() if (v := s.get(b)) is not None]
        out[b] = sum(values) / len(values) if values else None
    return out


def study_ref(cfg: StudyConfig) -> str:
    """How the user names this study on the command line (its name when that resolves)."""
    from mbr_search.config.study import resolve_study_path
    from mbr_search.errors import MbrSearchError

    try:
        if resolve_study_path(cfg.name).resolve() == cfg.path.resolve():
            return cfg.name
    except MbrSearchError:
        pass
    return str(cfg.path)
