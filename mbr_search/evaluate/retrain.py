"""Retrain one trial's configuration on all training videos (thesis §3.3, evaluation phase).

Epochs per model = the median over folds of the best epoch the search's early stopping
found for that model; seeds as in the objective, so a trial retrains the same way twice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.search.objective import output_groups
from mbr_search.search.sequences import Standardiser, cut, packed_targets


@dataclass
class Retrained:
    """A trial's models fitted on all training videos."""

    trial: int
    params: dict[str, Any]
    epochs: dict[str, int]
    #: (group name, behaviour columns, compiled Keras model), in output-group order
    nets: list[tuple[str, tuple[int, ...], Any]]
    seconds: float


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


def trial_seed(study: StudyConfig, trial_number: int) -> int:
    """The Keras seed the objective used for this trial (see ``search/objective.py``)."""
    return study.seed * 100_003 + trial_number


def retrain(
    study: StudyConfig,
    trial_number: int,
    params: Mapping[str, Any],
    best_epochs: Mapping[str, Mapping[str, int]],
    videos: Sequence[VideoData],
    scaler: Standardiser,
) -> Retrained:
    """Build, seed and fit the trial's model(s) on ``videos`` for the median best epochs."""
    import keras

    from mbr_search.search.models import build_model
    from mbr_search.search.training import fit_epoch

    keras.utils.set_random_seed(trial_seed(study, trial_number))
    groups = output_groups(study.behaviours, bool(params["multi_label"]))
    dim = int(videos[0].features.shape[1])
    # Built in the same order as the objective builds them, so the initial weights match.
    built = [
        build_model(params, model=study.space.model, n_features=dim, n_outputs=len(g.columns))
        for g in groups
    ]
    epochs = retrain_epochs(best_epochs, [g.name for g in groups], study.training.max_epochs)
    data = cut(videos, int(params["seq_len"]), scaler)
    started = time.perf_counter()
    nets: list[tuple[str, tuple[int, ...], Any]] = []
    rng = np.random.default_rng(trial_seed(study, trial_number))
    for g, net in zip(groups, built, strict=True):
        targets = packed_targets(data, g.columns)
        for _ in range(epochs[g.name]):  # one shuffled pass per epoch, as in the search
            history = fit_epoch(net, data.x, targets, int(params["batch_size"]), rng)
        loss = float(history.history["loss"][-1])
        if not math.isfinite(loss):
            raise TrialFailed(
                f"trial {trial_number}: retraining loss became {loss} for model '{g.name}'. "
                "Fix: evaluate other trials (--top) or lower the learning rate."
            )
        nets.append((g.name, g.columns, net))
    return Retrained(trial_number, dict(params), epochs, nets, time.perf_counter() - started)
