"""Samplers and pruners from a study's configuration.

Pruning across folds: every trial sees the same folds in the same order (they depend only
on the dataset and the seed), so step k of two trials is the same validation data and
comparing them is sound. ``median`` (default) compares the running mean after fold k with
the median of earlier trials at fold k; ``wilcoxon`` runs Optuna's paired Wilcoxon
signed-rank test on the per-fold scores against the best trial, the right test when folds
are many (leave-one-video-out over 10+ videos).
"""

from __future__ import annotations

from typing import Any

import optuna

from mbr_search.config.study import StudyConfig


def build_sampler(study: StudyConfig, *, seed_offset: int = 0) -> optuna.samplers.BaseSampler:
    """GridSampler for grid spaces (or when asked), otherwise TPE (or random)."""
    name = study.sampler.name
    seed = study.seed + seed_offset
    if name == "auto":
        name = "grid" if study.space.is_grid else "tpe"
    if name == "grid":
        return optuna.samplers.GridSampler(study.space.grid(), seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    multivariate = study.sampler.multivariate
    return optuna.samplers.TPESampler(
        seed=seed,
        n_startup_trials=study.sampler.n_startup_trials,
        multivariate=multivariate,
        # A searched model makes the space conditional (define-by-run): multivariate TPE
        # then models each family's parameters as their own group.
        group=multivariate and study.space.searches_model,
        constant_liar=True,  # workers sharing a study do not all sample the same point
    )


def build_pruner(study: StudyConfig) -> optuna.pruners.BasePruner:
    cfg = study.pruner
    if cfg.name == "none":
        return optuna.pruners.NopPruner()
    if cfg.name == "hyperband":
        # Steps are epochs of the first fold, then folds (search/rungs.py): "auto" sizes the
        # brackets from the first trial's last step, i.e. max_epochs + folds - 1.
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource="auto")
    if cfg.name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if cfg.name == "wilcoxon":
        return optuna.pruners.WilcoxonPruner(
            p_threshold=cfg.p_threshold, n_startup_steps=max(cfg.n_warmup_steps, 2)
        )
    return optuna.pruners.MedianPruner(
        n_startup_trials=cfg.n_startup_trials, n_warmup_steps=cfg.n_warmup_steps
    )


def describe_sampler(sampler: Any) -> str:
    return type(sampler).__name__
