"""Multi-fidelity search on tiny real data: pruning inside a fold on one step axis,
promotion of quick looks to all folds, and a pruner that contradicts the CV scheme."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from conftest import run_cli, write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.search.record import FOLD_SCORES, PROMOTED_FROM, TrialRecord
from mbr_search.search.rungs import BestSoFar, StepAxis


def test_step_axis_is_the_same_for_every_trial() -> None:
    axis = StepAxis.for_pruner("successive_halving", max_epochs=5)
    assert [axis.epoch_step(0, e) for e in range(1, 6)] == [0, 1, 2, 3, 4]
    assert axis.epoch_step(1, 1) is None  # only the first fold reports its epochs
    assert axis.epoch_step(0, 6) is None
    assert [axis.fold_step(f) for f in range(3)] == [5, 6, 7]
    median = StepAxis.for_pruner("median", max_epochs=5)
    assert median.epoch_step(0, 1) is None and median.fold_step(2) == 2  # as before
    best = BestSoFar()
    assert [best.update(s) for s in (None, 0.3, 0.2, 0.5)] == [None, 0.3, 0.3, 0.5]


def _objective(tmp_path: Path, **overrides: object) -> Objective:
    study = load_study(str(write_tiny_study(tmp_path)), overrides=overrides)
    videos = load_split(study, "train")
    return Objective(study, videos, video_folds(videos, study.cv, study.seed))


@pytest.mark.slow
def test_a_trial_is_pruned_inside_its_first_fold(tmp_path: Path) -> None:
    objective = _objective(
        tmp_path,
        **{"pruner.name": "successive_halving", "pruner.pruned_as": "pruned",
           "training.max_epochs": 3},
    )  # fmt: skip
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.01)
    )
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # epoch 1 of fold 0: step 0
    assert FOLD_SCORES not in trial.user_attrs  # the fold never finished


@pytest.mark.slow
def test_a_trial_pruned_by_value_completes_with_its_partial_mean(tmp_path: Path) -> None:
    # pruned_as: value is the default (chosen by benchmarks/search_efficiency.py)
    objective = _objective(tmp_path, **{"pruner.name": "median", "training.max_epochs": 2})
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.01)
    )
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    record = TrialRecord.from_trial(trial)
    assert record.pruned_at == "after fold 0"
    assert list(record.fold_scores) == ["0"]  # stopped after its first of two folds
    scores = [v for v in record.fold_scores["0"].values() if v is not None]
    assert trial.value == pytest.approx(sum(scores) / len(scores))
    assert trial.value == trial.intermediate_values[0]


@pytest.mark.slow
def test_epoch_then_fold_steps_of_a_complete_trial(tmp_path: Path) -> None:
    objective = _objective(
        tmp_path,
        **{"pruner.name": "hyperband", "training.max_epochs": 2, "training.patience": 2},
    )
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner())
    study.optimize(objective, n_trials=1)
    steps = sorted(study.trials[0].intermediate_values)
    assert steps == [0, 1, 2, 3]  # epochs 1-2 of fold 0, then after folds 0 and 1
    values = study.trials[0].intermediate_values
    assert values[1] >= values[0]  # the best so far of the first fold


@pytest.mark.slow
def test_quick_looks_are_promoted_to_all_folds(tmp_path: Path) -> None:
    study_file = write_tiny_study(tmp_path, extra="")
    text = study_file.read_text().replace(
        "max_folds: 2, promote: 0", "max_folds: 1, promote: 1, ensemble_pool: 0"
    )
    study_file.write_text(text)
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {"MBR_SEARCH_HOME": str(tmp_path / "home")}
    ran = run_cli("run", str(study_file), "--trials", "2", "--storage", storage, "--no-progress",
                  env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    study = optuna.load_study(study_name="tiny", storage=storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    promoted = [t for t in complete if PROMOTED_FROM in t.user_attrs]
    assert len(promoted) == 1
    quick = [t for t in complete if PROMOTED_FROM not in t.user_attrs]
    source = max(quick, key=lambda t: t.value)  # the best quick look is the one promoted
    assert promoted[0].user_attrs[PROMOTED_FROM] == source.number
    assert promoted[0].params == source.params
    assert set(TrialRecord.from_trial(promoted[0]).fold_scores) == {"0", "1", "2"}
    assert all(len(TrialRecord.from_trial(t).fold_scores) == 1 for t in quick)
    assert f"Promoted the best quick looks to all folds: #{source.number} -> " in ran.stdout
    assert f"Best trial #{promoted[0].number}:" in ran.stdout  # never a quick look
    again = run_cli("run", str(study_file), "--trials", "2", "--storage", storage,
                    "--no-progress", env=env)  # fmt: skip
    assert again.returncode == 0 and "Promoted" not in again.stdout  # nothing promoted twice
    assert len(optuna.load_study(study_name="tiny", storage=storage).trials) == 3


def test_wilcoxon_with_one_fold_is_refused(tmp_path: Path) -> None:
    study_file = write_tiny_study(tmp_path)
    ran = run_cli("run", str(study_file), "--set", "cv.max_folds=1", "--set",
                  "pruner.name=wilcoxon", "--trials", "1")  # fmt: skip
    assert ran.returncode == 2
    line = ran.stderr.strip().splitlines()[-1]
    assert "pruner 'wilcoxon' needs at least 2 folds per trial, cv gives 1" in line
    assert str(study_file) in line and "Fix:" in line and "Traceback" not in ran.stderr


def test_run_summary_counts_trials_pruned_by_value() -> None:
    from mbr_search.cli._run import format_summary
    from mbr_search.search.runner import RunSummary

    counts = {"COMPLETE": 3, "PRUNED": 0, "FAIL": 1, "RUNNING": 0, "WAITING": 0}
    summary = RunSummary("s", "sqlite:///s.db", 3, 3, counts, 0.5, pruned_by_value=2)
    line = format_summary(summary, "s").splitlines()[0]
    assert "(3 complete (2 of them pruned by value), 0 pruned, 1 failed)" in line


def test_quick_looks_promoted_leave_ensemble_selection_a_pool() -> None:
    """With quick looks only promoted trials are scored on every fold, and selection takes
    only those: the promoted count is at least ``ensemble_pool``; ``promote: 0`` is off."""
    from mbr_search.config.cv import CVConfig

    assert CVConfig("group_kfold", k=3, max_folds=1, promote=3).promoted == 6
    assert CVConfig("group_kfold", k=3, max_folds=1, promote=8, ensemble_pool=6).promoted == 8
    assert CVConfig("group_kfold", k=3, max_folds=1, promote=1, ensemble_pool=0).promoted == 1
    assert CVConfig("group_kfold", k=3, max_folds=1, promote=0, ensemble_pool=6).promoted == 0
