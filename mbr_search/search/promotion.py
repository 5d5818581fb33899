"""Promotion: a quick look never produces "the best trial".

A study with ``cv.max_folds`` scores each trial on its first folds only. When the run has
its target of trials, the best ``max(cv.promote, cv.ensemble_pool)`` quick-look trials (so
that ensemble selection, which takes only full-fidelity trials, has candidates) are re-run
with the same parameters on **all** folds (enqueued, never pruned), marked with the trial
they promote. Their values are full-fidelity means, so the fidelity ranking
(:mod:`mbr_search.search.fidelity`) that ``run``'s summary, ``evaluate`` and ``report`` use
puts them above every quick look. The fidelity of every value is the set of folds in its
trial's ``fold_scores``. Re-running a killed promotion re-promotes only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.search.fidelity import by_value
from mbr_search.search.record import PROMOTED_FROM, TrialRecord

if TYPE_CHECKING:
    import optuna
    from optuna.artifacts import FileSystemArtifactStore
    from optuna.trial import FrozenTrial

    from mbr_search.features.store import VideoData


def promoted_from(trial: FrozenTrial) -> int | None:
    value = trial.user_attrs.get(PROMOTED_FROM)
    return int(value) if value is not None else None


def candidates(
    trials: Sequence[FrozenTrial], cfg: StudyConfig, total_folds: int
) -> list[FrozenTrial]:
    """The best ``cv.promoted`` (``max(promote, ensemble_pool)``) complete quick-look trials
    that no trial promotes yet (never a trial pruned by value)."""
    import optuna

    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    records = {t.number: TrialRecord.from_trial(t) for t in done}
    # A trial pruned by value lost to the others at its step: it is no quick look to promote.
    quick = [
        t for t in done
        if promoted_from(t) is None and records[t.number].pruned_at is None
        and len(records[t.number].fold_scores) < total_folds
    ]  # fmt: skip
    taken = {promoted_from(t) for t in trials if t.state != optuna.trial.TrialState.FAIL}
    return [t for t in by_value(quick)[: cfg.cv.promoted] if t.number not in taken]


def promote(
    study: optuna.Study,
    cfg: StudyConfig,
    videos: Sequence[VideoData],
    artifact_store: FileSystemArtifactStore | None,
) -> list[tuple[int, int]]:
    """Re-run the promotion candidates on all folds; ``(quick trial, promoted trial)``."""
    from mbr_search.search.folds import video_folds
    from mbr_search.search.objective import Objective

    if not cfg.cv.max_folds or cfg.cv.promote < 1:
        return []
    import optuna

    folds = video_folds(videos, replace(cfg.cv, max_folds=None), cfg.seed)
    trials = study.get_trials(deepcopy=False)
    # enqueued by a promotion that was killed before it ran them: run them now
    waiting = [
        t for t in trials
        if t.state == optuna.trial.TrialState.WAITING and promoted_from(t) is not None
    ]  # fmt: skip
    todo = candidates(trials, cfg, len(folds))
    if not todo and not waiting:
        return []
    for trial in todo:
        study.enqueue_trial(trial.params, user_attrs={PROMOTED_FROM: trial.number})
    objective = Objective(cfg, videos, folds, artifact_store=artifact_store, prune=False)
    n = len(todo) + len(waiting)
    study.optimize(objective, n_trials=n, catch=(TrialFailed,), gc_after_trial=True)
    sources = {c.number for c in todo} | {promoted_from(t) for t in waiting}
    pairs = []
    for t in study.get_trials(deepcopy=False):
        source = promoted_from(t)
        if source is not None and source in sources and t.state == optuna.trial.TrialState.COMPLETE:
            pairs.append((source, t.number))
    return pairs
