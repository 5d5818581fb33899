"""Fitting LightGBM boosters: the frame trainer's counterpart of :mod:`training.fit`.

What the family's parameters mean to LightGBM (``booster_params``), loading, saving and
predicting stay with the family in :mod:`mbr_search.models.gbdt`; fitting lives here, beside
the Keras fits, so that training/ holds every fit. LightGBM is imported only when a booster
is fitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.errors import TrialFailed
from mbr_search.models import gbdt

if TYPE_CHECKING:
    import lightgbm
    from lightgbm.callback import CallbackEnv


@dataclass(frozen=True)
class Frames:
    """Per-frame inputs and 0/1 targets of one behaviour, with optional per-frame weights."""

    x: np.ndarray  # (frames, features) float32
    y: np.ndarray  # (frames,) 0/1
    weight: np.ndarray | None = None


def fit_booster(
    params: gbdt.GbdtParams,
    train: Frames,
    *,
    seed: int,
    val: Frames | None = None,
    rounds: int | None = None,
    deadline: float | None = None,
) -> tuple[lightgbm.Booster, int]:
    """One binary booster and its best round.

    With ``val``: at most ``max_rounds`` rounds, stopped early on the validation frames
    (``early_stopping_rounds`` without a gain of 1e-4), best round kept. Without: exactly
    ``rounds`` (retraining). Validation frames are unweighted, like the neural scores.
    """
    lgb = gbdt.import_lightgbm()
    metric = gbdt.STOP_METRIC if val is not None and val.y.any() else gbdt.FALLBACK_METRIC
    train_set = lgb.Dataset(train.x, label=train.y, weight=train.weight, free_raw_data=True)
    callbacks: list[Callable[[CallbackEnv], None]] = []
    valid_sets: list[lightgbm.Dataset] = []
    if deadline is not None:
        callbacks.append(_deadline(deadline))
    if val is not None:
        valid_sets.append(lgb.Dataset(val.x, label=val.y, reference=train_set))
        callbacks.append(
            lgb.early_stopping(
                params.early_stopping_rounds, first_metric_only=True, verbose=False, min_delta=1e-4
            )
        )
    n = params.max_rounds if val is not None else int(rounds or params.max_rounds)
    booster = lgb.train(
        gbdt.booster_params(params, seed, metric), train_set, num_boost_round=n,
        valid_sets=valid_sets, valid_names=["validation"] * len(valid_sets), callbacks=callbacks,
    )  # fmt: skip
    best = int(booster.best_iteration) if val is not None else 0
    return booster, best if best > 0 else booster.current_iteration()


def _deadline(deadline: float) -> Callable[[CallbackEnv], None]:
    def check(env: CallbackEnv) -> None:
        if time.perf_counter() > deadline:
            raise TrialFailed(
                f"fold exceeded training.fold_timeout after {env.iteration + 1} boosting rounds"
            )

    return check
