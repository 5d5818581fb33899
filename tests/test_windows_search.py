"""Window features as a searched choice: validated once, computed once per choice, and the
trial's choice carried through evaluate, the model directory and predict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import RAT08_POSE, run_cli, write_tiny_study

from mbr_search.errors import ConfigError

SETS = "window_sets: {short: {seconds: [0.5, 1.5], stats: [mean, max]}, long: {seconds: [3.0]}}"
#: A grid over the window choice only: exactly one trial per choice.
GRID_SPACE = """\
name: tiny_windows
model: lstm
params:
  windows: {type: categorical, choices: [none, short]}
fixed:
  seq_len: 150
  batch_size: 16
  lstm_units: 8
  lstm_layers: 1
  dropout: 0.1
  multi_label: true
"""


def _study(tmp_path: Path, features: str, space: str | None = None) -> Path:
    path = write_tiny_study(tmp_path)
    path.write_text(path.read_text().replace("features: {backbone: pose}", f"features: {features}"))
    if space is not None:
        (tmp_path / "tiny_space.yaml").write_text(space)
    return path


def _space_with(choices: str) -> str:
    return GRID_SPACE.replace("choices: [none, short]", f"choices: {choices}")


def test_window_choices_are_checked_against_the_study_sets(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study

    ok = load_study(str(_study(tmp_path / "ok", f"{{backbone: pose, {SETS}}}", GRID_SPACE)))
    assert ok.windows_for("none") is None
    assert ok.windows_for("short").seconds == (0.5, 1.5)  # type: ignore[union-attr]
    bad = _study(tmp_path / "bad", f"{{backbone: pose, {SETS}}}", _space_with("[none, medium]"))
    with pytest.raises(ConfigError, match=r"windows: 'medium' is not a window set.*\['none', "):
        load_study(str(bad))
    unset = _study(tmp_path / "unset", "{backbone: pose}", GRID_SPACE)
    with pytest.raises(ConfigError, match="name the window sets under features.window_sets"):
        load_study(str(unset))
    both = _study(
        tmp_path / "both", f"{{backbone: pose, windows: {{seconds: [1]}}, {SETS}}}", GRID_SPACE
    )
    with pytest.raises(ConfigError, match="features.window_sets: and features.windows are both"):
        load_study(str(both))
    reserved = _study(tmp_path / "res", "{backbone: pose, window_sets: {none: {seconds: [1]}}}")
    with pytest.raises(ConfigError, match=r"window_sets\.none: 'none' \(no window features\)"):
        load_study(str(reserved))


def test_a_window_set_longer_than_a_video_fails_before_the_first_trial(tmp_path: Path) -> None:
    sets = "window_sets: {short: {seconds: [0.5]}, huge: {seconds: [600]}}"
    path = _study(tmp_path, f"{{backbone: pose, {sets}}}", _space_with("[none, short]"))
    result = run_cli("run", str(path), "--trials", "1", "--no-progress")
    assert result.returncode == 2, result.stderr
    assert "shorter than the 600 s window" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_each_choice_is_computed_once_from_the_cached_base_features(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split
    from mbr_search.features.windows import window_features
    from mbr_search.search.views import FeatureViews

    study = load_study(str(_study(tmp_path, f"{{backbone: pose, {SETS}}}", GRID_SPACE)))
    base = load_split(study, "train")
    views = FeatureViews(study, base)
    assert views.get("none").videos == tuple(base)  # the search's own videos, not reloaded
    short = views.get("short")
    assert views.get("short") is short  # memoised: computed once per run
    assert short.dim == base[0].features.shape[1] * 5
    x = np.asarray(base[0].features)
    expect = window_features(x, 10.0, study.windows_for("short"))  # type: ignore[arg-type]
    # exactly the float16 the cache stores of the vectorised computation on the base features
    np.testing.assert_array_equal(short.videos[0].features, expect.astype(np.float16))
    assert views.get("long").dim == base[0].features.shape[1] * 5


@pytest.mark.slow
def test_search_evaluate_and_predict_use_each_trials_window_choice(tmp_path: Path) -> None:
    import optuna
    import pandas as pd

    path = _study(tmp_path, f"{{backbone: pose, {SETS}}}", GRID_SPACE)
    text = path.read_text()
    path.write_text(text.replace("pruner: {name: median", "pruner: {name: none"))  # both complete
    db = f"sqlite:///{tmp_path / 's.db'}"
    run = run_cli("run", str(path), "--trials", "2", "--storage", db, "--no-progress")
    assert run.returncode == 0, run.stderr
    trials = optuna.load_study(study_name="tiny", storage=db).trials
    assert sorted(t.params["windows"] for t in trials) == ["none", "short"]
    assert all(t.user_attrs["resolved_params"]["windows"] == t.params["windows"] for t in trials)
    out = tmp_path / "rep"
    evaluated = run_cli(
        "evaluate", str(path), "--top", "2", "--no-importance", "--storage", db, "--out", str(out)
    )
    assert evaluated.returncode == 0, evaluated.stderr
    results = json.loads((out / "results.json").read_text())
    by_choice = {t["params"]["windows"]: t for t in results["trials"]}
    assert set(by_choice) == {"none", "short"}
    windowed = out / by_choice["short"]["model_dir"]
    manifest = json.loads((windowed / "model.json").read_text())
    (member,) = manifest["members"]
    assert member["windows"] == {
        "name": "short", "seconds": [0.5, 1.5], "stats": ["mean", "max"], "raw": True, "fps": 10.0,
    }  # fmt: skip
    assert member["standardiser"] == "m0_standardiser.npz"
    plain = json.loads((out / by_choice["none"]["model_dir"] / "model.json").read_text())
    assert plain["members"][0]["windows"] is None
    assert plain["feature_dim"] == manifest["feature_dim"]  # both take the base features
    ensemble = json.loads((out / "model_ensemble" / "model.json").read_text())
    assert sorted(str(m["windows"] and m["windows"]["name"]) for m in ensemble["members"]) == [
        "None", "short",
    ]  # fmt: skip
    pose = RAT08_POSE
    predicted = {}
    for k, model in enumerate((windowed, out / "model_ensemble")):
        target = tmp_path / f"pred{k}"
        pred = run_cli("predict", str(model), str(pose), "--out", str(target))
        assert pred.returncode == 0, pred.stderr
        predicted[k] = pd.read_csv(next(target.glob("*_frames.csv")))
        assert len(predicted[k]) == 1500
    # predict on a test video gives what evaluate scored on it: the same windows were used.
    number = by_choice["short"]["number"]
    tested = pd.read_csv(out / "trials" / f"trial_{number}" / "test" / "rat08.csv")
    for b in ("social", "nonsocial", "aggression"):
        np.testing.assert_allclose(predicted[0][f"{b}_prob"], tested[f"{b}_prob"], atol=2e-5)


def test_evaluate_views_add_a_fixed_window_set_to_the_base_features(tmp_path: Path) -> None:
    """evaluate loads base features (a model directory's inputs) and gives a study's fixed
    features.windows to each member as its own windows, as it does a searched choice."""
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split
    from mbr_search.search.views import FeatureViews

    study = load_study(str(_study(tmp_path, "{backbone: pose, windows: {seconds: [0.5]}}")))
    base = load_split(study, "train", windows=None)
    searched = load_split(study, "train")  # as `run` loads them: with the fixed windows
    assert searched[0].features.shape[1] == base[0].features.shape[1] * 5
    view = FeatureViews(study, base, base_windows=None).get("none")
    assert view.windows == study.windows
    np.testing.assert_array_equal(view.videos[0].features, searched[0].features)
    assert FeatureViews(study, searched).get("none").videos == tuple(searched)  # not reloaded
