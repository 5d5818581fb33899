"""benchmarks/budget.py: a smaller budget is the first N finished trials of the longer study
(a scratch copy that keeps trial numbers and the study's attributes), and the curve's
differences are paired over the videos every budget scored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.append(str(BENCH))  # after the installed packages: its module names stay theirs

import budget  # noqa: E402
import budget_assemble  # noqa: E402
import quality_units  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(work: Path, states: list[str]) -> str:
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / (budget.ARM + '.db')}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    study._storage.set_study_system_attr(study._study_id, "mbr_search:fingerprint", "{}")
    study.set_user_attr("behaviours", ["a", "b"])
    dist = optuna.distributions.FloatDistribution(0, 1)
    for i, state in enumerate(states):
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": i / 10},
                distributions={"x": dist},
                value=i / 10 if state == "COMPLETE" else None,
                state=optuna.trial.TrialState[state],
            )
        )
    return url


def test_a_budget_is_the_first_n_finished_trials_with_their_numbers(tmp_path: Path) -> None:
    states = ["COMPLETE", "FAIL", "COMPLETE", "PRUNED", "COMPLETE", "COMPLETE"]
    _study(tmp_path, states)
    url = budget.prefix_storage(tmp_path, "s", 3)
    copy = optuna.load_study(study_name="s", storage=url)
    # the 3rd finished trial is number 3; the failed number 1 stays, so numbers match
    assert [t.number for t in copy.trials] == [0, 1, 2, 3]
    assert [t.state.name for t in copy.trials] == states[:4]
    assert [t.params["x"] for t in copy.trials] == [0.0, 0.1, 0.2, 0.3]
    assert copy.user_attrs == {"behaviours": ["a", "b"]}
    system = copy._storage.get_study_system_attrs(copy._study_id)
    assert system["mbr_search:fingerprint"] == "{}"
    # the source study is untouched, and a second prefix replaces the first copy
    assert len(optuna.load_study(study_name="s", storage=budget.source_url(tmp_path)).trials) == 6
    again = optuna.load_study(study_name="s", storage=budget.prefix_storage(tmp_path, "s", 1))
    assert [t.number for t in again.trials] == [0]


def test_a_budget_beyond_the_finished_trials_is_refused(tmp_path: Path) -> None:
    _study(tmp_path, ["COMPLETE", "PRUNED"])
    with pytest.raises(SystemExit, match="2 finished trials"):
        budget.prefix_storage(tmp_path, "s", 3)


def _save(parts: Path, name: str, fold: int, models: dict[str, dict[str, np.ndarray]]) -> None:
    entry = {
        "models": {m: {"outer": 0.5, "members": [0]} for m in models if m != "labels"},
        "code": {"commit": "abcdef0"},
        "trial_seconds": [{"number": i, "state": "COMPLETE", "seconds": 10.0} for i in range(3)],
        "cpu_seconds_run": 30.0,
        "cpu_seconds_evaluate": 5.0,
    }
    quality_units.save_part(name, fold, entry, models, parts)


def _models(probs: dict[str, np.ndarray], vids: list[str]) -> dict[str, Any]:
    return {m: {v: probs[v] for v in vids} for m in budget_assemble.MODELS}


def test_a_budget_whose_models_know_the_labels_better_pays(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = {f"v{i}": (rng.random((200, 3)) < 0.3).astype(np.uint8) for i in range(6)}
    noise = {v: rng.random(y.shape) for v, y in labels.items()}
    good = {v: 0.6 * y + 0.4 * noise[v] for v, y in labels.items()}
    yard = tmp_path / "yard"
    for fold, vids in enumerate((["v0", "v1", "v2"], ["v3", "v4", "v5"])):
        lab = {v: labels[v] for v in vids}
        # the yardstick's own 8 trials and script; this benchmark's 20 and its check of 8
        _save(yard, "auto_pose", fold, _models(noise, vids) | {"labels": lab})
        _save(yard, "baseline", fold, {"baseline": {v: noise[v] for v in vids}, "labels": lab})
        _save(tmp_path, "auto_pose_b20", fold, _models(good, vids) | {"labels": lab})
    _save(tmp_path, "auto_pose_b8", 1, _models(noise, vids) | {"labels": lab})
    out = budget_assemble.assemble(tmp_path, 2, yardstick=yard)["result"]
    assert out["budgets"] == [8, 20]
    rows = {(c["a"], c["b"]): c for c in out["comparisons"]}
    step = rows[("b20 selected_ensemble", "b8 selected_ensemble")]
    assert step["verdict"] == "pays" and step["videos"] == 6
    assert rows[("b8 best_single", "script")]["value"] == pytest.approx(0, abs=1e-9)
    assert out["scores"]["b20 selected_ensemble"]["folds"] == [0, 1]
    # the check of the 8 trials is not a point of the curve: it is set beside the yardstick's
    assert [r["fold"] for r in out["reproduces_yardstick"]] == [1]
    assert out["scores"]["b8 selected_ensemble"]["videos"] == 6
    cost = out["cost"]
    assert cost["cumulative_trial_wall_seconds"]["0"] == [10.0, 20.0, 30.0]
    assert cost["cpu_seconds_evaluate_mean"] == {"8": 5.0, "20": 5.0}
    # the b20 unit's run CPU (30 s) per continued trial, scaled to 20 videos
    assert cost["estimated_hours_on_20_videos"]["10"] == round((10 * 30 + 5) * 1.25 / 3600, 2)


def test_an_out_of_range_budget_exits_2_before_anything_is_written(tmp_path: Path) -> None:
    work = tmp_path / "work"
    done = subprocess.run(
        [sys.executable, str(BENCH / "budget.py"), "--budgets", "5", "--work", str(work)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert "budgets [5] must be 8 to --trials (20)" in done.stderr
    assert not work.exists()


def test_the_cost_target_reads_the_estimate_at_the_shipped_default(tmp_path: Path) -> None:
    import levers_assemble
    import yaml

    trials = yaml.safe_load((BENCH.parent / "studies" / "auto_pose.yaml").read_text())["trials"]
    assert levers_assemble.cost_line(tmp_path / "absent.json")["met"] is None
    path = tmp_path / "budget.json"
    for hours, met in ((1.4, False), (0.8, True)):
        estimate = {str(trials): hours, str(trials + 1): 0.1}
        path.write_text(
            json.dumps({"result": {"cost": {"estimated_hours_on_20_videos": estimate}}})
        )
        line = levers_assemble.cost_line(path)
        assert (
            line["met"] is met and f"{hours:.1f} h at the default {trials} trials" in line["value"]
        )
