"""Reuse across trials (training/reuse.py): a trial that restarts an earlier trial's compiled
models scores exactly as a rebuild with its seed, and fold sequences are cut once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.models import get_family
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.search.record import TrialRecord
from mbr_search.training.reuse import ModelPool, Reuse, SequenceCache, architecture
from mbr_search.training.seeds import output_groups


def _search(tmp_path: Path, configs: list[dict[str, float]]) -> tuple[optuna.Study, Reuse]:
    study_cfg = load_study(str(write_tiny_study(tmp_path)), overrides={"training.max_epochs": 2})
    videos = load_split(study_cfg, "train")
    folds = video_folds(videos, study_cfg.cv, study_cfg.seed)
    reuse = Reuse()
    objective = Objective(study_cfg, videos, folds, reuse=reuse)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    for params in configs:
        study.enqueue_trial(params)
    study.optimize(objective, n_trials=len(configs))
    return study, reuse


@pytest.mark.slow
def test_a_restarted_model_scores_as_a_rebuild(tmp_path: Path) -> None:
    second = {"lstm_units": 16, "learning_rate": 0.004}
    # trial 0 leaves a 16-unit model in the pool; trial 1 (other learning rate) restarts it
    reused, pool = _search(tmp_path / "a", [{"lstm_units": 16, "learning_rate": 0.002}, second])
    assert (pool.models.built, pool.models.reused) == (1, 1)
    # trial 0 is another architecture: trial 1, same number hence same seed, is built
    built, fresh = _search(tmp_path / "b", [{"lstm_units": 8, "learning_rate": 0.002}, second])
    assert (fresh.models.built, fresh.models.reused) == (2, 0)
    a, b = TrialRecord.from_trial(reused.trials[1]), TrialRecord.from_trial(built.trials[1])
    assert a.best_epochs == b.best_epochs
    for fold, scores in b.fold_scores.items():
        for behaviour, value in scores.items():
            assert a.fold_scores[fold][behaviour] == pytest.approx(value, abs=1e-6)
    assert reused.trials[1].value == pytest.approx(built.trials[1].value, abs=1e-6)
    # both trials of a search cut each fold once: the second reads them from the cache
    assert pool.sequences.hits == pool.sequences.misses == 4  # 2 folds x (train, val)


def test_architecture_ignores_what_a_restart_resets() -> None:
    family = get_family("lstm")
    groups = output_groups(("a", "b"), multi_label=False)
    base = family.params.from_dict({"lstm_units": 32, "seq_len": 300, "batch_size": 8})
    same = family.params.from_dict(
        {"lstm_units": 32, "seq_len": 600, "batch_size": 32, "learning_rate": 0.01}
    )
    assert architecture(base, groups, 10) == architecture(same, groups, 10)
    other = [
        family.params.from_dict({"lstm_units": 64, "seq_len": 300, "batch_size": 8}),
        family.params.from_dict({"lstm_units": 32, "dropout": 0.2}),
    ]
    for params in other:
        assert architecture(params, groups, 10) != architecture(base, groups, 10)
    assert architecture(base, groups, 11) != architecture(base, groups, 10)
    one = output_groups(("a", "b"), multi_label=True)
    assert architecture(base, one, 10) != architecture(base, groups, 10)


def test_model_pool_keeps_the_most_recent_architectures() -> None:
    pool = ModelPool(size=2)
    for key in ("a", "b", "c"):
        pool.give(key, {})
    assert pool.take("a") is None  # the oldest went first
    assert pool.take("c") == {} and pool.take("c") is None  # taken means gone


def test_sequence_cache_keeps_within_its_budget() -> None:
    from mbr_search.training.sequences import Batchable

    def made() -> Batchable:
        x = np.zeros((2, 4, 3), np.float16)  # 48 bytes, + 16 + 8
        return Batchable(x, np.zeros((2, 4, 2), np.uint8), np.ones((2, 4), bool), ())

    cache = SequenceCache(max_bytes=100)
    first = cache.get("a", made)
    assert cache.get("a", made) is first  # kept: 72 bytes
    second = cache.get("b", made)  # over the budget: returned, not kept
    assert cache.get("b", made) is not second
    assert (cache.hits, cache.misses, cache.used) == (1, 3, 72)
