"""Samplers and pruners from a study's configuration.

Pruning across folds: every trial sees the same folds in the same order (they depend only
on the dataset and the seed), so step k of two trials is the same validation data and
comparing them is sound. ``median`` (default) compares the running mean after fold k with
the median of earlier trials at fold k; ``wilcoxon`` runs Optuna's paired Wilcoxon
signed-rank test on the per-fold scores against the best trial, the right test when folds
are many (leave-one-video-out over 10+ videos).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalChoiceType
from optuna.trial import FrozenTrial, TrialState

from mbr_search.config.study import StudyConfig


def build_sampler(study: StudyConfig, *, seed_offset: int = 0) -> optuna.samplers.BaseSampler:
    """GridSampler for grid spaces (or when asked), otherwise TPE (or random).

    Every process of a study, on any machine, builds the same sampler: TPE and random
    draw each trial from a seed of its own (:class:`TrialSeededSampler`), the grid walks
    one fixed shuffled order by trial number. ``seed_offset`` shifts the study seed (a
    deliberate re-draw); workers need none.
    """
    name = study.sampler.name
    seed = study.seed + seed_offset
    if name == "auto":
        name = "grid" if study.space.is_grid else "tpe"
    if name == "grid":
        # GridSampler gives trial n the n-th point of its shuffled grid: one shuffle for every
        # process, else two processes map their trial numbers onto different orders and run
        # the same points twice.
        return optuna.samplers.GridSampler(study.space.grid(), seed=seed)
    if name == "random":
        return TrialSeededSampler(seed, lambda s: optuna.samplers.RandomSampler(seed=s))
    return TrialSeededSampler(seed, lambda s: _tpe(study, s))


def _tpe(study: StudyConfig, seed: int) -> optuna.samplers.TPESampler:
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


def trial_sampler_seed(study_seed: int, trial_number: int) -> int:
    """The sampler seed of one trial: distinct for every trial number (SeedSequence mixes
    both, so study seed 1's trial 0 is not study seed 0's trial 1)."""
    return int(np.random.SeedSequence([study_seed, trial_number]).generate_state(1)[0])


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """Draws each trial with a sampler seeded from (study seed, trial number).

    The storage hands out trial numbers atomically, so two processes never share one:
    processes started at once on one study (``--workers``, or machines on one PostgreSQL
    study) draw different first trials, while a single process still draws exactly the
    same trials from the same seed, resumed or not. A seed taken from the trial count at
    start (the earlier way) gave every process started together the same draws.
    What stays non-deterministic with several processes is only which trials each one had
    seen when it sampled: that is TPE's history, not its seed.

    A fresh inner sampler per trial holds no state across trials that matters: TPE reads
    the history from the study each time.
    """

    def __init__(self, seed: int, make: Callable[[int], optuna.samplers.BaseSampler]) -> None:
        self._seed = seed
        self._make = make
        self._fallback = make(seed)
        self._by_trial: dict[int, optuna.samplers.BaseSampler] = {}

    def _for(self, trial: FrozenTrial) -> optuna.samplers.BaseSampler:
        return self._by_trial.get(trial._trial_id, self._fallback)

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        inner = self._make(trial_sampler_seed(self._seed, trial.number))
        self._by_trial[trial._trial_id] = inner
        inner.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._for(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, CategoricalChoiceType]:
        return self._for(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> CategoricalChoiceType:
        return self._for(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        inner = self._by_trial.pop(trial._trial_id, self._fallback)
        inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        # Optuna calls this for n_jobs > 1 threads; each trial is already seeded by number.
        return None

    def __str__(self) -> str:
        return f"{type(self._fallback).__name__} (seeded per trial)"


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
