"""``run --budget`` and ``run --warm-start`` through the real CLI on bundled data."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest
from _evaluated import searched_study, shared_base
from conftest import run_cli, write_tiny_study

from mbr_search.cli._run import parse_duration
from mbr_search.config.space import load_space
from mbr_search.errors import UsageError
from mbr_search.search.warmstart import map_params, parse_reference

QUICK = ["--set", "cv.max_folds=1", "--no-progress"]  # tiny study: promote 0


def test_durations() -> None:
    assert parse_duration("90") == 90 and parse_duration("90s") == 90
    assert parse_duration("45m") == 2700 and parse_duration("2h") == 7200
    assert parse_duration("1h30m") == 5400 and parse_duration("0.5h") == 1800
    for bad in ("", "soon", "2 hours", "-5m", "0"):
        with pytest.raises(UsageError, match="--budget"):
            parse_duration(bad)


def test_warm_start_maps_params_onto_this_space(tmp_path: Path) -> None:
    write_tiny_study(tmp_path)
    space = load_space(tmp_path / "tiny_space.yaml")  # lstm_units {8, 16}, lr [1e-3, 1e-2]
    values = {"lstm_units": 16, "learning_rate": 0.5, "tcn_filters": 64, "seq_len": 150}
    kept, dropped = map_params(values, space)
    # lr 0.5 is outside this space's range; tcn_filters is not in it; seq_len is fixed here.
    assert kept == {"lstm_units": 16}
    assert dropped == ["learning_rate", "tcn_filters"]
    assert parse_reference("pilot", "sqlite:///a.db") == ("pilot", "sqlite:///a.db")
    assert parse_reference("pilot@sqlite:///b.db", None) == ("pilot", "sqlite:///b.db")
    with pytest.raises(UsageError, match="STUDY@STORAGE_URL"):
        parse_reference("pilot@", None)


@pytest.mark.slow
def test_warm_start_enqueues_the_best_trials_of_another_study(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_tiny_study(tmp_path)
    db = f"sqlite:///{tmp_path / 's.db'}"
    # The pilot: the session's real search of this tiny study (4 complete trials, made by
    # `run`; tests/_evaluated.py), copied into this storage as the study 'pilot'.
    shared = searched_study(shared_base(tmp_path_factory))
    optuna.copy_study(
        from_study_name="tiny", from_storage=shared.storage, to_storage=db, to_study_name="pilot"
    )
    source = optuna.load_study(study_name="pilot", storage=db)
    assert len([t for t in source.trials if t.state == optuna.trial.TrialState.COMPLETE]) > 2
    best = sorted(
        (t for t in source.trials if t.state == optuna.trial.TrialState.COMPLETE),
        key=lambda t: (-(t.value or 0.0), t.number),
    )
    main = run_cli(
        "run", str(path), "--trials", "2", "--storage", db, "--warm-start", "pilot", *QUICK
    )
    assert main.returncode == 0, main.stderr
    assert "warm start: enqueued" in main.stderr
    trials = optuna.load_study(study_name="tiny", storage=db).trials
    # The first trials run the pilot's best configurations, best first.
    assert [t.params for t in trials[:2]] == [t.params for t in best[:2]]
    missing = run_cli("run", str(path), "--trials", "1", "--storage", db, "--warm-start", "nosuch")
    assert missing.returncode == 2 and "study 'nosuch' is not in storage" in missing.stderr


def test_budget_uses_the_median_cost_of_finished_trials(tmp_path: Path) -> None:
    import datetime as dt

    from mbr_search.search.runner import median_trial_seconds

    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'm.db'}", study_name="m")
    assert median_trial_seconds(study) is None
    start = dt.datetime(2026, 1, 1)
    state = optuna.trial.TrialState
    for number, (seconds, st) in enumerate(
        [(10, state.COMPLETE), (30, state.PRUNED), (20, state.COMPLETE), (999, state.FAIL)]
    ):
        study.add_trial(
            optuna.trial.FrozenTrial(
                number=number, trial_id=number, state=st,
                value=0.5 if st == state.COMPLETE else None,
                datetime_start=start, datetime_complete=start + dt.timedelta(seconds=seconds),
                params={}, distributions={}, user_attrs={}, system_attrs={},
                intermediate_values={0: 0.4} if st == state.PRUNED else {},
            )
        )  # fmt: skip
    assert median_trial_seconds(study) == 20.0  # of 10, 30, 20; the failed one does not count


@pytest.mark.slow
def test_budget_stops_starting_trials(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = f"sqlite:///{tmp_path / 's.db'}"
    # A budget already spent (the end time a recycled process or a worker inherits): no
    # trial starts, the run says why, exit 0.
    spent = {"MBR_SEARCH_BUDGET_END": str(time.time() - 1)}
    none = run_cli(
        "run", str(path), "--trials", "5", "--storage", db, "--budget", "1h", *QUICK, env=spent
    )
    assert none.returncode == 0, none.stderr
    assert "Stopped by --budget" in none.stdout
    assert len(optuna.load_study(study_name="tiny", storage=db).trials) == 0
    # A generous one stops nothing.
    ample = run_cli("run", str(path), "--trials", "2", "--storage", db, "--budget", "1h", *QUICK)
    assert ample.returncode == 0 and "Stopped by --budget" not in ample.stdout
    assert len(optuna.load_study(study_name="tiny", storage=db).trials) == 2
    bad = run_cli("run", str(path), "--budget", "soon")
    assert bad.returncode == 2 and "not a duration" in bad.stderr
