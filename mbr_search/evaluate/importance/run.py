"""The winner's permutation importance in ``evaluate``: refit its fold models, permute.

The search keeps each trial's out-of-fold probabilities, not its fold models, so the fold
models are fitted again here: the search's folds, each fold's recorded best epochs /
boosting rounds (``fit_all``, no early stopping to redo) and the fold seed. Each
validation video is then predicted by its own fold's model, with one feature group
permuted at a time (:mod:`mbr_search.evaluate.importance.permutation`).

Every family gets it, unless the trial's folds took longer than :data:`BUDGET_SECONDS` to
train in the search (``TrialRecord.train_seconds``, measured there): refitting them costs
about as much again, and the permutations come on top. Measured on the bundled rat data
(docs/usage.md, "Explaining a behaviour"): a few tens of CPU seconds for gbdt on pose
features and for an LSTM refitted for 1-5 epochs per fold, a few CPU minutes for gbdt with
three windows (29 groups of 1,222 columns); a thesis-scale sequence model, trained for
minutes to hours per fold, is the case the budget skips.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import MbrSearchError
from mbr_search.evaluate.importance.permutation import REPEATS, SEED, permutation_importance
from mbr_search.evaluate.results.importance import FeatureImportance, GroupImportance
from mbr_search.evaluate.retrain import retrain_epochs
from mbr_search.features.column_groups import (
    embedding_column_groups,
    importance_groups,
    pose_column_groups,
    windowed_column_groups,
)
from mbr_search.features.store import VideoData
from mbr_search.inference.model_features import Features, PoseFeatures
from mbr_search.models import Params
from mbr_search.search.folds import Fold, video_folds
from mbr_search.search.record import TrialRecord
from mbr_search.search.views import View
from mbr_search.training.seeds import fold_seed
from mbr_search.training.trainers import Trainer, trainer_for

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from mbr_search.evaluate.runner import TrialRunner
    from mbr_search.training.sequences import Standardiser

#: A trial whose folds trained longer than this in the search gets no importance.
BUDGET_SECONDS = 600.0


def column_names(features: Features, base_dim: int, view: View) -> tuple[str, ...]:
    """The group of every column the trial's models see: base features, then windows."""
    if isinstance(features, PoseFeatures):
        base = pose_column_groups(len(features.keypoints), len(features.individuals))
    else:
        base = embedding_column_groups(base_dim)
    return windowed_column_groups(base, view.windows)


def runner_importance(
    runner: TrialRunner, trial: FrozenTrial, oof_videos: Sequence[str], *, asked: bool = True
) -> FeatureImportance:
    """:func:`winner_importance` of ``trial`` (an Optuna FrozenTrial) with the runner's
    study, training videos and feature settings; ``asked=False`` (``--no-importance``)
    records that it was not computed."""
    import warnings

    record = TrialRecord.from_trial(trial)
    params = runner.study.space.family_of(record.params).params.from_dict(record.params)
    if not asked:
        return _skipped(record, params, "not computed (evaluate --no-importance)")
    view = runner.views.for_params(params)
    names = column_names(runner.features, int(runner.train[0].features.shape[1]), view)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LightGBM / Keras chatter, as in retraining
        try:
            return winner_importance(runner.study, record, params, view, names, oof_videos)
        except MbrSearchError as exc:
            # an explanation must not cost the evaluation already done: say why, go on
            return _skipped(record, params, f"refitting the fold models failed ({exc})")


def importance_line(importance: FeatureImportance) -> str:
    """What evaluate prints about it."""
    head = f"Permutation importance of trial #{importance.trial} ({importance.family})"
    if importance.skipped is not None:
        return f"{head}: {importance.skipped}."
    top = ", ".join(g.group for g in importance.groups[:3])
    return (
        f"{head}: {len(importance.groups)} feature groups x {importance.repeats} draws on the "
        f"out-of-fold videos in {importance.seconds:.1f} s; largest drops: {top}."
    )


def winner_importance(
    study: StudyConfig,
    record: TrialRecord,
    params: Params,
    view: View,
    names: Sequence[str],
    oof_videos: Sequence[str],
    *,
    families: Collection[str] | None = None,
    budget: float = BUDGET_SECONDS,
) -> FeatureImportance:
    """Permutation importance of the trial ``record`` over its out-of-fold videos, or a
    :class:`FeatureImportance` that says why it was skipped (a family not in ``families``,
    default all; folds that trained longer than ``budget`` seconds in the search)."""
    skipped = _why_not(params, view, names, record, study, oof_videos, families, budget)
    if skipped is not None:
        return _skipped(record, params, skipped)
    started = time.perf_counter()
    folds = _folds(study, view, record, oof_videos)
    by_video: dict[str, tuple[Trainer, Mapping[str, object], Standardiser, VideoData]] = {}
    trainers = []
    try:
        for fold in folds:
            trainer, models, scaler = _fold_models(study, record, params, view, fold)
            trainers.append(trainer)
            for vid in fold.validation:
                by_video[vid] = (trainer, models, scaler, view.by_id[vid])
        fitted = time.perf_counter()

        def predict(vid: str, x: np.ndarray) -> np.ndarray:
            trainer, models, scaler, video = by_video[vid]
            return trainer.predict(models, replace(video, features=x), scaler)

        videos = sorted(by_video)
        base, drops = permutation_importance(
            predict,
            {v: np.asarray(view.by_id[v].features, dtype=np.float32) for v in videos},
            {v: view.by_id[v].labels for v in videos},
            importance_groups(names),
            study.behaviours,
            repeats=REPEATS,
            seed=SEED,
        )
    finally:
        for trainer in trainers:
            trainer.close()
    return FeatureImportance(
        trial=record.number,
        family=params.family,
        repeats=REPEATS,
        seed=SEED,
        baseline=base,
        groups=tuple(GroupImportance(d.group, d.columns, d.drop, d.std) for d in drops),
        seconds=round(time.perf_counter() - started, 3),
        fit_seconds=round(fitted - started, 3),
    )


def _why_not(
    params: Params,
    view: View,
    names: Sequence[str],
    record: TrialRecord,
    study: StudyConfig,
    oof_videos: Sequence[str],
    families: Collection[str] | None,
    budget: float,
) -> str | None:
    if families is not None and params.family not in families:
        return f"not computed for {params.family} (asked for {sorted(families)} only)"
    took = record.train_seconds
    if took is not None and took > budget:
        return (
            f"not computed: the trial's folds took {took:.0f} s to train in the search and "
            f"refitting them would take about as long again (budget {budget:.0f} s)"
        )
    if len(names) != view.dim:
        return f"feature groups cover {len(names)} columns, the model sees {view.dim}"
    if not _folds(study, view, record, oof_videos):
        return "the search's folds no longer match the out-of-fold videos"
    return None


def _folds(
    study: StudyConfig, view: View, record: TrialRecord, oof_videos: Sequence[str]
) -> list[Fold]:
    """The search's folds that produced the trial's OOF predictions (all or nothing). Every
    fold is a candidate, not only the first ``cv.max_folds``: a quick-look trial promoted
    to all folds recorded them all."""
    every = dataclasses.replace(study.cv, max_folds=None)
    folds = video_folds(view.videos, every, study.seed)
    scored = [f for f in folds if str(f.index) in record.best_epochs]
    covered = sorted(v for f in scored for v in f.validation)
    return scored if covered == sorted(oof_videos) else []


def _fold_models(
    study: StudyConfig, record: TrialRecord, params: Params, view: View, fold: Fold
) -> tuple[Trainer, Mapping[str, object], Standardiser]:
    """One fold's models fitted on its training videos for the fold's best rounds."""
    augment = view.augmenter.copies if view.augmenter is not None else None
    seed = fold_seed(study.seed, record.number, fold.index)
    trainer = trainer_for(params, study.behaviours, n_features=view.dim, seed=seed, augment=augment)
    rounds = retrain_epochs(
        {str(fold.index): record.best_epochs[str(fold.index)]},
        [g.name for g in trainer.groups],
        study.training.max_epochs,
    )
    scaler = view.standardiser(list(fold.train))
    models = trainer.fit_all([view.by_id[v] for v in fold.train], scaler, rounds)
    return trainer, models, scaler


def _skipped(record: TrialRecord, params: Params, reason: str) -> FeatureImportance:
    return FeatureImportance(
        trial=record.number, family=params.family, repeats=REPEATS, seed=SEED,
        baseline={}, groups=(), seconds=0.0, skipped=reason,
    )  # fmt: skip
