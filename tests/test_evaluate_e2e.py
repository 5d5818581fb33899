"""`run` -> `evaluate` on bundled real data with real Keras training, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from _evaluated import Evaluated, shared_root, sturman_search
from conftest import RAT_MINI, run_cli, write_tiny_study

BEHAVIOURS = ["social", "nonsocial", "aggression"]


@pytest.mark.slow
def test_evaluate_writes_thesis_tables_models_and_frame_csvs(evaluated: Evaluated) -> None:
    r = evaluated.results
    assert r["behaviours"] == BEHAVIOURS and r["fps"] == 10.0 and not r["cv_only"]
    assert r["dataset"]["test_videos"] == ["rat08", "rat20"]
    # the top 2, then any selected-ensemble member outside them (scored because selected)
    assert [t["rank"] for t in r["trials"]][:2] == [1, 2]
    extra = {t["number"] for t in r["trials"][2:]}
    assert extra <= set(r["selected_ensemble"]["members"])
    assert r["trials"][0]["cv_value"] >= r["trials"][1]["cv_value"]
    for trial in r["trials"]:
        assert trial["train_seconds"] > 0 and trial["predict_seconds"] > 0
        assert trial["predict_frames"] == 3000  # 2 test videos x 150 s x 10 fps
        assert set(trial["epochs"]) == {"all"} and trial["epochs"]["all"] == 1
        assert (evaluated.out / trial["model_dir"] / "model.json").is_file()
        for stage in ("raw", "post"):
            pooled = trial["test"][stage]["pooled"]
            assert set(pooled) == set(BEHAVIOURS)
            for b in BEHAVIOURS:
                (tn, fp), (fn, tp) = pooled[b]["confusion"]
                assert tn + fp + fn + tp == 3000
                assert set(trial["test"][stage]["per_video"]) == {"rat08", "rat20"}
        # the numbers in results.json are the numbers in the per-frame CSVs
        frames = pd.concat(pd.read_csv(evaluated.out / f) for f in trial["test"]["files"].values())
        for b in BEHAVIOURS:
            y, p = frames[f"{b}_true"].to_numpy(), frames[f"{b}_pred"].to_numpy()
            cm = [[int(((y == t) & (p == q)).sum()) for q in (0, 1)] for t in (0, 1)]
            assert trial["test"]["post"]["pooled"][b]["confusion"] == cm
            raw = (frames[f"{b}_prob"].to_numpy() >= trial["thresholds"][b] - 1e-5).astype(int)
            assert np.mean(raw == frames[f"{b}_pred_raw"].to_numpy()) > 0.999
        assert set(trial["oof"]["videos"]) <= {"rat01", "rat02", "rat05", "rat10", "rat11", "rat12"}
    ens = r["ensemble"]
    assert ens["members"] == [t["number"] for t in r["trials"][:2]]
    assert (evaluated.out / ens["model_dir"] / "model.json").is_file()
    manifest = json.loads((evaluated.out / "model_ensemble" / "model.json").read_text())
    assert len(manifest["members"]) == 2
    assert set(ens["test"]["post"]["pooled"]) == set(BEHAVIOURS)
    # Ensemble selection on OOF predictions of every complete trial: its members and
    # weights are in results.json, and model/ (what predict uses) is that ensemble.
    sel = r["selected_ensemble"]
    assert sel["method"] == "selection" and sum(sel["weights"].values()) == pytest.approx(1.0)
    assert set(sel["members"]) <= {t["number"] for t in r["trials"]}
    assert len(sel["selection_scores"]) == 20 and max(sel["selection_scores"]) > 0
    best = json.loads((evaluated.out / "model" / "model.json").read_text())
    assert best["info"]["trial"] is None and best["info"]["ensemble_of"] == sel["members"]
    assert [m["weight"] for m in best["members"]] == [
        sel["weights"][str(m)] for m in sel["members"]
    ]
    assert best["features"]["keypoints"] == ["top", "body", "tail", "tail-m", "tail-e"]
    assert r["human_ceiling"] is None  # single-rater Caltech labels
    # every model: an estimate and a test score with 90 % intervals over videos; the
    # selected ensemble's estimate is cross-fitted (3 folds), never its in-sample OOF
    for model in [*r["trials"], ens, sel]:
        u = model["uncertainty"]
        assert u["kind"] == ("cross_fitted" if model is sel else "oof")
        for key in ("estimate_interval", "test_interval", "expected_test"):
            iv = u[key]
            assert iv["unit"] == "video" and iv["low"] <= iv["high"] and iv["level"] == 0.9
        assert u["test_interval"]["videos"] == 2
        assert u["estimate_interval"]["videos"] == len(model["oof"]["videos"])
        # percentile intervals need not hold the point (2 test videos: 3 distinct draws)
        assert 0 <= u["test_interval"]["low"] <= u["test_interval"]["high"] <= 1
    assert [d["b"] for d in r["differences"]] == [f"trial #{r['trials'][0]['number']}"] * len(
        r["differences"]
    )
    assert {d["a"] for d in r["differences"]} >= {"selected ensemble", "top-2 mean"}
    assert "paired differences on the same videos" in evaluated.stdout
    assert "Results:" in evaluated.stdout and "ensemble" in evaluated.stdout


def _scrambled_dataset(folder: Path) -> Path:
    """The rat dataset with random labels for its test videos (train videos untouched)."""
    import yaml

    raw = yaml.safe_load(RAT_MINI.read_text())
    rng = np.random.default_rng(7)
    for video in raw["videos"]:
        video["pose"] = str(RAT_MINI.parent / video["pose"])
        video["labels"] = str(RAT_MINI.parent / video["labels"])
        if video["split"] == "test":
            frame = pd.DataFrame((rng.random((4500, 3)) < 0.3).astype(int), columns=BEHAVIOURS)
            frame.to_csv(folder / f"{video['id']}.csv", index=False)
            video["labels"] = {"format": "frame_csv", "file": str(folder / f"{video['id']}.csv")}
    path = folder / "dataset.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.slow
def test_test_labels_never_reach_thresholds_or_post_processing(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    scrambled = write_tiny_study(tmp_path / "s", dataset=_scrambled_dataset(tmp_path))
    out = tmp_path / "out"
    res = run_cli(
        "evaluate", str(scrambled), "--top", "1", "--no-ensemble", "--no-importance", "--storage",
        evaluated.storage, "--out", str(out), env=evaluated.env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    before = evaluated.results["trials"][0]
    after = json.loads((out / "results.json").read_text())["trials"][0]
    assert after["number"] == before["number"]
    assert after["thresholds"] == before["thresholds"]
    assert after["postprocess"] == before["postprocess"]
    assert after["oof"]["post"] == before["oof"]["post"]
    assert after["test"]["post"]["pooled"] != before["test"]["post"]["pooled"]


@pytest.mark.slow
def test_cv_only_on_the_sturman_excerpt_shows_the_human_ceiling(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # The session's 2-trial search of the excerpt (shared with the browser report test).
    searched = sturman_search(shared_root(tmp_path_factory) / "sturman")
    study, storage, env = searched.study, searched.storage, searched.env
    out = tmp_path / "out"
    refused = run_cli("evaluate", str(study), "--storage", storage, "--out", str(out), env=env)
    assert refused.returncode == 2
    assert "no video has split: test" in refused.stderr and "--cv-only" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not out.exists()
    res = run_cli("evaluate", str(study), "--storage", storage, "--out", str(out), "--cv-only",
                  "--no-importance", "--top", "1", env=env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    r = json.loads((out / "results.json").read_text())
    assert r["cv_only"] and r["trials"][0]["test"] is None and r["ensemble"] is None
    assert set(r["trials"][0]["oof"]["videos"]) == {"OFT_38", "OFT_44"}
    ceiling = r["human_ceiling"]
    assert ceiling["split"] == "train" and ceiling["raters"] == ["Jin", "Furkan", "Oliver"]
    assert ceiling["behaviours"]["wall_rearing"]["mean_f1"] > 0.8
    assert ceiling["model"]["source"] == "oof"
    assert set(ceiling["model"]["behaviours"]["wall_rearing"]["vs_raters"]) == {
        "Jin", "Furkan", "Oliver",
    }  # fmt: skip
    assert (out / "model" / "model.json").is_file()
    assert "raters" in res.stdout


@pytest.mark.slow
def test_evaluate_refuses_a_missing_study_and_a_study_without_complete_trial(
    tmp_path: Path,
) -> None:
    study = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    storage = f"sqlite:///{db}"
    missing = run_cli("evaluate", str(study), "--storage", storage, "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    other = optuna.create_study(study_name="other", storage=storage, direction="maximize")
    absent = run_cli("evaluate", str(study), "--storage", storage, "--out", str(tmp_path / "o"))
    assert absent.returncode == 2
    assert "study 'tiny' is not in storage" in absent.stderr and "other" in absent.stderr
    tiny = optuna.create_study(study_name="tiny", storage=storage, direction="maximize")
    tiny.add_trial(
        optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED, params={}, distributions={})
    )
    del other
    none = run_cli("evaluate", str(study), "--storage", storage, "--out", str(tmp_path / "o"))
    assert none.returncode == 2
    assert "has no complete trial (1 pruned)" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_results_json_round_trips_through_the_typed_results(evaluated: Evaluated) -> None:
    from mbr_search.evaluate.results import Results, TrialResult

    path = evaluated.out / "results.json"
    r = Results.read(path)
    assert Results.from_json(r.to_json()) == r
    assert r.to_json() == evaluated.results  # every key and number the file holds, no more
    assert path.read_text() == json.dumps(r.to_json(), indent=1, allow_nan=False)
    best = r.trials[0]
    assert isinstance(best, TrialResult) and best.number == evaluated.results["trials"][0]["number"]
    assert best.test is not None and set(best.test.post.pooled) == set(BEHAVIOURS)
    pooled = evaluated.results["trials"][0]["test"]["post"]["pooled"]["social"]
    assert best.test.post.pooled["social"].f1 == pooled["f1"]
    assert best.test.post.pooled["social"].confusion == tuple(map(tuple, pooled["confusion"]))
    assert r.ensemble is not None and r.ensemble.members == tuple(t.number for t in r.trials[:2])


@pytest.mark.slow
def test_a_malformed_results_json_is_one_line_naming_file_and_key(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    from mbr_search.errors import DataError
    from mbr_search.evaluate.results import Results

    def refused(edit: Any) -> str:
        data = json.loads(json.dumps(evaluated.results))
        edit(data)
        with pytest.raises(DataError) as info:
            Results.from_json(data, source="out/results.json")
        message = str(info.value)
        assert len(message.splitlines()) == 1 and message.startswith("out/results.json: ")
        return message

    def wrong_f1(d: dict[str, Any]) -> None:
        d["trials"][0]["test"]["post"]["pooled"]["social"]["f1"] = "high"

    assert "key 'trials[0].test.post.pooled.social.f1' is 'high', expected a number" in (
        refused(wrong_f1)
    )
    assert "key 'trials[1].oof' is missing" in refused(lambda d: d["trials"][1].pop("oof"))
    assert "key 'ensemble.test.raw.pooled' lacks behaviour(s) ['aggression']" in refused(
        lambda d: d["ensemble"]["test"]["raw"]["pooled"].pop("aggression")
    )
    assert "schema_version 0, this version of mbr-search reads 1" in refused(
        lambda d: d.update(schema_version=0)
    )
    # what the user sees: `report` stops with that line and the command that fixes it
    out = tmp_path / "out"
    shutil.copytree(evaluated.out, out)
    data = json.loads((out / "results.json").read_text())
    wrong_f1(data)
    (out / "results.json").write_text(json.dumps(data))
    res = run_cli(
        "report", str(evaluated.study), "--storage", evaluated.storage, "--out", str(out),
        env=evaluated.env,
    )  # fmt: skip
    assert res.returncode == 2, res.stderr
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"{out / 'results.json'}: key 'trials[0].test.post.pooled.social.f1'" in line
    assert "re-run `mbr-search evaluate " in line and f" --out {out}`" in line
    assert not (out / "report.html").exists()


@pytest.mark.slow
def test_run_prints_its_folds_and_an_interval_for_its_best_trial(evaluated: Evaluated) -> None:
    """What run printed for the shared search: each fold's videos and prevalence, and the
    best trial's pooled out-of-fold PR-AUC with its interval over videos."""
    import re

    out = (evaluated.base / "run.stdout").read_text()
    assert "Folds (validation videos; prevalence among labelled frames):" in out
    folds = [line for line in out.splitlines() if line.startswith("  fold ")]
    assert len(folds) >= 2
    assert all(re.search(r"social \d+\.\d %, nonsocial \d+\.\d %, aggression", f) for f in folds)
    assert re.search(
        r"pooled out-of-fold PR-AUC 0\.\d{4}, 90 % interval \[0\.\d{3}, 0\.\d{3}\] over \d+ videos",
        out,
    )
