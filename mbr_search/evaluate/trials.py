"""Which trials ``evaluate`` takes, checked before anything heavy is imported.

Nothing here imports TensorFlow, so a study that cannot be evaluated (no test video, not in
the storage, no complete trial) fails in about a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbr_search.config.study import StudyConfig
from mbr_search.errors import NoCompleteTrialError, UsageError
from mbr_search.search.fidelity import Ranking, rank_by_fidelity
from mbr_search.search.fingerprint import check_stored

if TYPE_CHECKING:
    from optuna import Study

    from mbr_search.storage import StorageSpec


def check_test_videos(study_cfg: StudyConfig, cv_only: bool) -> None:
    """Refuse a dataset without test videos unless cross-validation results are asked for."""
    if not study_cfg.dataset.split("test") and not cv_only:
        raise UsageError(
            f"{study_cfg.dataset.path}: no video has split: test, so nothing can be tested. "
            "Fix: mark some videos split: test, or pass --cv-only for cross-validation results "
            "(out-of-fold scores, human ceiling, saved models) without a test set."
        )


def load_trials(study_cfg: StudyConfig, spec: StorageSpec) -> tuple[Study, Ranking]:
    """The stored study and its complete trials ranked by fidelity, then value (ties: lower
    number first); trials scored on fewer folds are left out (see search/fidelity.py)."""
    import optuna

    from mbr_search.storage import open_existing_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_existing_study(spec, study_cfg.study_name, f"mbr-search run {study_cfg.name}")
    check_stored(study, study_cfg)
    from mbr_search.search.study_record import StudyRecord

    stored = StudyRecord.from_study(study).behaviours
    if stored and list(stored) != list(study_cfg.behaviours):
        raise UsageError(
            f"{study_cfg.path}: behaviours {list(study_cfg.behaviours)} differ from the ones "
            f"study '{study.study_name}' was searched with ({list(stored)}). Fix: restore them "
            "in the study file or pass --set behaviours=[...]."
        )
    state = optuna.trial.TrialState
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == state.COMPLETE and t.value is not None]
    if not complete:
        counts = {s.name.lower(): sum(t.state == s for t in trials) for s in state}
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no trial"
        raise NoCompleteTrialError(
            f"study '{study.study_name}' in storage '{spec.display}' has no complete trial "
            f"({summary}). Fix: run `mbr-search run {study_cfg.name} --trials N` until one "
            "completes."
        )
    return study, rank_by_fidelity(complete)
