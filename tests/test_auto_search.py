"""One search across families through the real CLI: `model` searched, Keras and LightGBM."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from conftest import RAT08_POSE, run_cli, write_tiny_study

#: lstm and gbdt, tiny: 1 epoch (the study's training section) or at most 10 rounds.
AUTO_SPACE = """\
name: tiny_auto
model: {choices: [lstm, gbdt]}
params:
  lstm:
    lstm_units: {type: categorical, choices: [8, 16]}
    learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
  gbdt:
    num_leaves: {type: int, low: 4, high: 16}
    learning_rate: {type: float, low: 0.05, high: 0.3, log: true}
fixed:
  lstm: {seq_len: 150, batch_size: 16, lstm_layers: 1, dropout: 0.1, multi_label: true}
  gbdt: {max_rounds: 10, early_stopping_rounds: 3, frame_step: 2}
"""
#: Trials per search: random sampling with seed 0 draws gbdt, gbdt, lstm (both kinds).
TRIALS = 3


@pytest.mark.slow
def test_run_searches_keras_and_gbdt_in_one_study(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path, name="auto")
    (tmp_path / "tiny_space.yaml").write_text(AUTO_SPACE)
    # Random sampling with the study seed 0 draws gbdt, gbdt, lstm: both kinds run, and the
    # median pruner compares the LSTM with the LightGBM trials' fold scores.
    text = path.read_text().replace(
        "sampler: {name: tpe, n_startup_trials: 2}", "sampler: {name: random}"
    )
    path.write_text(text)
    db = tmp_path / "s.db"
    result = run_cli("run", str(path), "--trials", str(TRIALS), "--storage", f"sqlite:///{db}",
                     "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{TRIALS}/{TRIALS} finished trials" in result.stdout
    assert "Best trial #" in result.stdout
    trials = optuna.load_study(study_name="auto", storage=f"sqlite:///{db}").trials
    families = []
    for t in trials:
        assert t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        family = t.params["model"]
        assert t.user_attrs["resolved_params"]["model"] == family
        assert {k.split(".")[0] for k in t.params if k != "model"} == {family}
        groups = set(t.user_attrs["best_epochs"]["0"])
        assert groups == ({"all"} if family == "lstm" else {"social", "nonsocial", "aggression"})
        families.append(family)
    assert set(families) == {"lstm", "gbdt"}, families
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert {t.params["model"] for t in complete} >= {"gbdt"}
    # Every trial scored on all folds keeps its out-of-fold file; one pruned by value (the
    # default pruned_as) holds a partial mean, and none.
    by_value = [t for t in complete if "pruned_at" in t.user_attrs]
    full = [t for t in complete if t not in by_value]
    assert full and all("oof_artifact_id" in t.user_attrs for t in full)
    assert all("oof_artifact_id" not in t.user_attrs for t in by_value)
    assert all(len(t.user_attrs.get("fold_scores", {})) < 2 for t in by_value)


@pytest.mark.slow
def test_evaluate_report_predict_on_gbdt_and_a_mixed_ensemble(tmp_path: Path) -> None:
    import json

    import pandas as pd

    path = write_tiny_study(tmp_path, name="auto")
    (tmp_path / "tiny_space.yaml").write_text(AUTO_SPACE)
    text = path.read_text().replace(
        "sampler: {name: tpe, n_startup_trials: 2}", "sampler: {name: random}"
    )
    path.write_text(text.replace("pruner: {name: median", "pruner: {name: none"))
    db = f"sqlite:///{tmp_path / 's.db'}"
    run = run_cli("run", str(path), "--trials", str(TRIALS), "--storage", db, "--no-progress")
    assert run.returncode == 0, run.stderr
    out = tmp_path / "rep"
    evaluated = run_cli(
        "evaluate",
        str(path),
        "--top",
        str(TRIALS),
        "--no-importance",
        "--storage",
        db,
        "--out",
        str(out),
    )
    assert evaluated.returncode == 0, evaluated.stderr
    results = json.loads((out / "results.json").read_text())
    families = [t["params"]["model"] for t in results["trials"]]
    assert len(families) == TRIALS and set(families) == {"lstm", "gbdt"}, families
    assert results["ensemble"] is not None  # of every trial evaluated: both kinds mixed
    assert results["ensemble"]["members"] == [t["number"] for t in results["trials"]]
    gbdt_dir = next(
        out / t["model_dir"] for t in results["trials"] if t["params"]["model"] == "gbdt"
    )
    assert sorted(p.suffix for p in gbdt_dir.iterdir() if p.name.startswith("m0_")) == [".txt"] * 3
    report = run_cli("report", str(path), "--storage", db, "--out", str(out))
    assert report.returncode == 0, report.stderr
    pose = RAT08_POSE
    for model in (gbdt_dir, out / "model_ensemble"):
        pred = run_cli("predict", str(model), str(pose), "--out", str(tmp_path / model.name))
        assert pred.returncode == 0, pred.stderr
        frames = next((tmp_path / model.name).glob("*_frames.csv"))
        assert len(pd.read_csv(frames)) == 1500  # 4,500 frames at 30 fps, seen at 10 fps
