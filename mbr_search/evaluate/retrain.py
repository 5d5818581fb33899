"""Retrain one trial's configuration on all training videos (thesis §3.3, evaluation phase).

Epochs per model = the median over folds of the best epoch the search's early stopping
found for that model; models, seeds and the epoch loop are the search's own (the family's
trainer's ``fit_all``, :mod:`mbr_search.training.trainers`), so a trial retrains the same
way twice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.models import Params
from mbr_search.training.seeds import trial_seed
from mbr_search.training.sequences import Standardiser
from mbr_search.training.trainers import Augment, Trainer, trainer_for


@dataclass
class Retrained:
    """A trial's models fitted on all training videos."""

    trial: int
    params: Params
    epochs: dict[str, int]
    #: (group name, behaviour columns, compiled Keras model), in output-group order
    nets: list[tuple[str, tuple[int, ...], object]]
    seconds: float
    #: the trainer that fitted them: ``close()`` frees what it holds (the Keras session)
    trainer: Trainer


def retrain_epochs(
    best_epochs: Mapping[str, Mapping[str, int]], groups: Sequence[str], max_epochs: int
) -> dict[str, int]:
    """Median best epoch per model over folds, rounded, at least 1.

    A model with no recorded epoch (no positive frame in any fold's training videos) takes
    the median over all models, else ``max_epochs``.
    """
    everything = [int(e) for fold in best_epochs.values() for e in fold.values() if int(e) > 0]
    fallback = math.ceil(float(np.median(everything))) if everything else max_epochs
    out: dict[str, int] = {}
    for g in groups:
        values = [int(f[g]) for f in best_epochs.values() if g in f and int(f[g]) > 0]
        # ceil, not round-half-even: 2.5 epochs means "more than 2", and 0 would not train
        out[g] = max(1, math.ceil(float(np.median(values)))) if values else fallback
    return out


def retrain(
    study: StudyConfig,
    trial_number: int,
    params: Params,
    best_epochs: Mapping[str, Mapping[str, int]],
    videos: Sequence[VideoData],
    scaler: Standardiser,
    augment: Augment | None = None,
) -> Retrained:
    """Build, seed and fit the trial's model(s) on ``videos`` (with the trial's window
    choice) for the median best epochs; a trial that augmented in the search gets the same
    augmentation here, from ``augment`` (its view's augmenter), seeded with the trial seed."""
    seed = trial_seed(study.seed, trial_number)
    dim = int(videos[0].features.shape[1])
    trainer = trainer_for(params, study.behaviours, n_features=dim, seed=seed, augment=augment)
    groups = trainer.groups
    epochs = retrain_epochs(best_epochs, [g.name for g in groups], study.training.max_epochs)
    started = time.perf_counter()
    try:
        models = trainer.fit_all(videos, scaler, epochs)
    except TrialFailed as exc:
        raise TrialFailed(
            f"trial {trial_number}: retraining {exc}. "
            "Fix: evaluate other trials (--top) or lower the learning rate."
        ) from None
    nets = [(g.name, g.columns, models[g.name]) for g in groups]
    return Retrained(trial_number, params, epochs, nets, time.perf_counter() - started, trainer)
