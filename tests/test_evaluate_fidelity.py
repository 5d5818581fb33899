"""Fidelity-aware ranking: a trial scored on fewer folds is never ranked against a full one,
and ensemble selection only combines trials whose out-of-fold videos are the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import write_tiny_study

from mbr_search.errors import DataError
from mbr_search.evaluate.ensemble.selection import mean_pr_auc, same_videos, select
from mbr_search.search import record
from mbr_search.search.fidelity import folds_of, rank_by_fidelity

BEHAVIOURS = ["social", "nonsocial", "aggression"]


def _add(study: optuna.Study, value: float, folds: int) -> None:
    """A complete trial as the objective leaves it: resolved params and per-fold scores."""
    scores = {str(f): {b: value for b in BEHAVIOURS} for f in range(folds)}
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.COMPLETE,
            value=value,
            params={},
            distributions={},
            user_attrs={
                record.PARAMS: {"model": "lstm", "lstm_units": 8},
                record.FOLD_SCORES: scores,
                record.BEST_EPOCHS: {str(f): {"all": 1} for f in range(folds)},
                record.TRAIN_SECONDS: 1.0,
            },
        )
    )


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, str]:
    """Study 'tiny' with trials on 3 folds (#0 0.60, #2 0.65), 2 folds (#1 0.90, the highest
    value but a quick look) and 1 fold (#3 0.95)."""
    storage = f"sqlite:///{tmp_path / 'mixed.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="tiny", storage=storage, direction="maximize")
    for value, folds in ((0.60, 3), (0.90, 2), (0.65, 3), (0.95, 1)):
        _add(study, value, folds)
    return write_tiny_study(tmp_path / "study"), storage


def test_a_two_fold_trial_with_the_higher_value_is_not_ranked_best(
    mixed: tuple[Path, str],
) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.evaluate.trials import load_trials
    from mbr_search.storage import resolve_storage

    path, storage = mixed
    _, ranking = load_trials(load_study(str(path)), resolve_storage(storage))
    assert ranking.folds == ("0", "1", "2")
    assert [t.number for t in ranking.ranked] == [2, 0]
    assert ranking.best.number == 2  # not #1 (0.90 on 2 folds) nor #3 (0.95 on 1)
    assert [t.number for t in ranking.left_out] == [3, 1]
    # Every trial in one list (the report's): fewer folds always below more folds.
    assert [t.number for t in ranking.ordered()] == [2, 0, 1, 3]
    note = ranking.note()
    assert note is not None and "\n" not in note
    assert "2 complete trial(s) left out for lower fidelity" in note
    assert "1/2 fold(s), not the 3" in note


def test_the_report_calls_the_full_fidelity_trial_best(mixed: tuple[Path, str]) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.report.study_data import load_study_data
    from mbr_search.storage import resolve_storage

    path, storage = mixed
    data = load_study_data(load_study(str(path)), resolve_storage(storage))
    assert data.best.number == 2
    assert [t.number for t in data.ranked] == [2, 0, 1, 3]


def test_one_fidelity_ranks_by_value_and_says_nothing(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'one.db'}", direction="maximize")
    for value in (0.5, 0.7, 0.7, 0.6):
        _add(study, value, 2)
    ranking = rank_by_fidelity(study.get_trials())
    assert [t.number for t in ranking.ranked] == [1, 2, 3, 0]  # ties: lower number first
    assert ranking.left_out == () and ranking.note() is None
    assert folds_of(ranking.best) == ("0", "1")


def test_fold_indices_order_numerically_beyond_nine(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'lovo.db'}", direction="maximize")
    _add(study, 0.5, 12)
    assert folds_of(study.get_trials()[0])[-3:] == ("9", "10", "11")


def _labels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {f"v{i}": (rng.random((200, 2)) < 0.2).astype(np.uint8) for i in range(4)}


def _probs(labels: dict[str, np.ndarray], quality: float, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v: (quality * y + rng.random(y.shape)) / (1 + quality) for v, y in labels.items()}


def test_selection_combines_only_trials_with_the_same_videos() -> None:
    labels = _labels()
    full_a, full_b = _probs(labels, 0.5, 1), _probs(labels, 0.8, 2)
    # A 2-fold trial validated on half the videos, perfect there: were videos intersected,
    # it would shrink everyone's evidence to v0, v1 and win on them.
    partial = {v: labels[v].astype(np.float64) for v in ("v0", "v1")}
    oof = {0: full_a, 1: full_b, 2: partial}
    kept, left_out = same_videos(oof, reference=1)
    assert set(kept) == {0, 1} and left_out == [2]
    picked = select(kept, labels)
    assert set(picked.weights) <= {0, 1}
    y = np.concatenate([labels[v] for v in sorted(labels)])
    best_single = mean_pr_auc(y, np.concatenate([full_b[v] for v in sorted(labels)]))
    assert picked.scores[0] == pytest.approx(best_single)  # scored on all four videos
    with pytest.raises(DataError, match=r"trial\(s\) \[2\] have out-of-fold predictions"):
        select(oof, labels)
