"""Processes sharing one study draw different trials; one process alone is reproducible.

Before: each sampler's seed was the study seed plus the trial count when it started, so
two processes started together on one study drew the same first parameters.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import optuna
import pytest
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.search.sampling import build_sampler, trial_sampler_seed
from mbr_search.storage import load_or_create_study, open_storage, resolve_storage

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
optuna.logging.set_verbosity(optuna.logging.ERROR)


def _draw(trial: optuna.Trial) -> dict[str, float]:
    return {
        "lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
        "d": trial.suggest_float("d", 0, 1),
    }


def test_two_processes_starting_together_draw_different_first_trials(tmp_path: Path) -> None:
    cfg = load_study(str(write_tiny_study(tmp_path)))
    storage = optuna.storages.InMemoryStorage()
    # What two processes do at once: each builds its sampler before either has a trial.
    first = optuna.create_study(storage=storage, study_name="s", sampler=build_sampler(cfg))
    second = optuna.load_study(storage=storage, study_name="s", sampler=build_sampler(cfg))
    a, b = first.ask(), second.ask()
    assert (a.number, b.number) == (0, 1)
    assert _draw(a) != _draw(b)


def test_one_process_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    cfg = load_study(str(write_tiny_study(tmp_path)))
    runs = []
    for _ in range(2):
        study = optuna.create_study(direction="maximize", sampler=build_sampler(cfg))
        study.optimize(lambda t: sum(_draw(t).values()), n_trials=5)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    assert len({tuple(p.values()) for p in runs[0]}) == 5
    other = load_study(str(write_tiny_study(tmp_path)), overrides={"seed": 1})
    study = optuna.create_study(direction="maximize", sampler=build_sampler(other))
    study.optimize(lambda t: sum(_draw(t).values()), n_trials=1)
    assert study.trials[0].params != runs[0][0]


def test_trial_seeds_do_not_collide_across_study_seeds() -> None:
    seeds = {trial_sampler_seed(s, n) for s in range(20) for n in range(50)}
    assert len(seeds) == 20 * 50


def test_grid_processes_share_one_order(tmp_path: Path) -> None:
    """GridSampler gives trial n the n-th point of its shuffle: every process must shuffle
    alike, or trial numbers map to different points and some run twice."""
    space = tmp_path / "grid_space.yaml"
    space.write_text(
        "model: lstm\nparams:\n  lstm_units: {type: categorical, choices: [4, 8, 16, 32]}\n"
        "  dropout: {type: categorical, choices: [0.0, 0.1, 0.2]}\n"
        "fixed: {seq_len: 150, batch_size: 16, lstm_layers: 1, learning_rate: 0.001}\n"
    )
    cfg = load_study(
        str(write_tiny_study(tmp_path)),
        overrides={"space": "grid_space.yaml", "sampler": {"name": "grid"}},
    )
    storage = optuna.storages.InMemoryStorage()
    studies = [optuna.create_study(storage=storage, study_name="g", sampler=build_sampler(cfg))]
    seen = []
    for _ in range(3):  # then a process joins a study that already has trials: 6 of 12 points
        for study in studies:
            trial = study.ask()
            seen.append((trial.suggest_categorical("lstm_units", [4, 8, 16, 32]),
                         trial.suggest_categorical("dropout", [0.0, 0.1, 0.2])))  # fmt: skip
            study.tell(trial, 0.0)
        studies.append(
            optuna.load_study(storage=storage, study_name="g", sampler=build_sampler(cfg))
        )
    assert len(seen) == 6 and len(set(seen)) == 6


@pytest.mark.slow
def test_two_cli_processes_on_one_sqlite_study_draw_no_duplicate_trials(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path, extra="")
    text = study.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("cv:"))
    study.write_text(
        text.replace(line, "cv: {scheme: leave_one_video_out, max_folds: 1, promote: 0}")
    )
    url = f"sqlite:///{tmp_path}/race.db"
    command = [sys.executable, "-m", "mbr_search", "run", str(study), "--trials", "2",
               "--storage", url, "--no-progress"]  # fmt: skip
    children = [
        subprocess.Popen(
            command, cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(2)
    ]
    outputs = [c.communicate(timeout=600)[0] for c in children]
    assert all(c.returncode == 0 for c in children), [o[-1500:] for o in outputs]
    stored = load_or_create_study(
        open_storage(resolve_storage(url)), study_name="tiny", sampler=None, pruner=None
    )
    params = [tuple(sorted(t.params.items())) for t in stored.trials if t.params]
    assert len(params) >= 2
    assert len(set(params)) == len(params), params
