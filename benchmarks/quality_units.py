"""One unit of the nested yardstick (``quality.py``): one arm on one outer fold.

A searched arm runs through the CLI on a snapshot of the code, as a user runs it; the
baseline is the lab's script in this process. Each unit writes two files to
``benchmarks/results/quality_parts/``: ``ARM_oK.json`` (what evaluate said: estimates,
intervals, test scores) and ``ARM_oK.npz`` (labels and every model's probabilities on the
unit's test videos, as uint16, so outer scores can be pooled over all 20 videos later).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import _bench
import lab_hgb
import numpy as np
import pandas as pd
import yaml

PARTS = _bench.RESULTS / "quality_parts"
TOP = 3
MODEL_NAMES = ("best_single", "top_mean", "selected_ensemble")
#: probabilities stored as round(p * Q) in uint16: PR-AUC moves by < 1e-4
Q = 65535
Probs = dict[str, dict[str, np.ndarray]]


def part_path(arm: str, fold: int, suffix: str, parts: Path = PARTS) -> Path:
    return parts / f"{arm}_o{fold}{suffix}"


def has_part(arm: str, fold: int, parts: Path = PARTS) -> bool:
    return all(part_path(arm, fold, s, parts).is_file() for s in (".json", ".npz"))


def save_part(
    arm: str, fold: int, entry: dict[str, Any], probs: Probs, parts: Path = PARTS
) -> None:
    """The npz first, the JSON last: a JSON on disk means its unit is complete."""
    from mbr_search._atomic import atomic_path, write_text_atomic

    arrays = {}
    for model, videos in probs.items():
        for vid, values in videos.items():
            if model == "labels":
                arrays[f"labels/{vid}"] = values.astype(np.uint8)
            else:
                arrays[f"{model}/{vid}"] = np.rint(np.clip(values, 0, 1) * Q).astype(np.uint16)
    parts.mkdir(parents=True, exist_ok=True)
    with atomic_path(part_path(arm, fold, ".npz", parts)) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
    write_text_atomic(part_path(arm, fold, ".json", parts), json.dumps(entry, indent=1) + "\n")


def load_part(arm: str, fold: int, parts: Path = PARTS) -> tuple[dict[str, Any], Probs]:
    entry = json.loads(part_path(arm, fold, ".json", parts).read_text("utf-8"))
    probs: Probs = {}
    with np.load(part_path(arm, fold, ".npz", parts), allow_pickle=False) as npz:
        for key in npz.files:
            model, vid = key.split("/", 1)
            values = np.asarray(npz[key])
            probs.setdefault(model, {})[vid] = (
                values.astype(np.uint8) if model == "labels" else values.astype(np.float64) / Q
            )
    return entry, probs


def cli(args: list[str | Path], work: Path, snapshot: Path) -> str:
    """``mbr-search ARGS`` on the snapshot of the code (PYTHONPATH first)."""
    env = {
        **os.environ,
        "MBR_SEARCH_HOME": str(work / "home"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(snapshot),
    }
    cmd = [sys.executable, "-m", "mbr_search", *map(str, args)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=work)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def study_file(arm: str, work: Path, manifest: Path, fold: int, budget: int) -> Path:
    """The shipped study, pointed at this outer fold's manifest; nothing else changed."""
    shipped = yaml.safe_load((_bench.ROOT / "studies" / f"{arm}.yaml").read_text("utf-8"))
    shipped |= {"name": f"q_{arm}_o{fold}", "dataset": str(manifest), "trials": budget}
    # the space by path: the code snapshot the units run on has no search_spaces/ beside it
    shipped["space"] = str(_bench.ROOT / "search_spaces" / f"{shipped['space']}.yaml")
    return _bench.write_yaml(work / "studies" / f"q_{arm}_o{fold}.yaml", shipped)


def searched_unit(
    arm: str, work: Path, manifest: Path, fold: int, budget: int, snapshot: Path
) -> tuple[dict[str, Any], Probs]:
    study = study_file(arm, work, manifest, fold, budget)
    common: list[str | Path] = ["--storage", f"sqlite:///{work / (arm + '.db')}"]
    common += ["--artifacts", work / "artifacts", "--cache-dir", work / "cache"]
    out = work / "eval" / arm / f"o{fold}"
    print(f"[{arm} outer {fold}] run --trials {budget}", flush=True)
    cli(["run", study, "--trials", str(budget), "--no-progress", *common], work, snapshot)
    print(f"[{arm} outer {fold}] evaluate --top {TOP}", flush=True)
    printed = cli(
        ["evaluate", study, "--top", str(TOP), "--out", out, "--no-importance", *common],
        work, snapshot,
    )  # fmt: skip
    return searched_entry(out / "results.json", printed)


def searched_entry(path: Path, printed: str) -> tuple[dict[str, Any], Probs]:
    """What evaluate said (typed results.json) and every model's test probabilities."""
    from mbr_search.evaluate.results import Results

    res = Results.read(path)
    named = {
        "best_single": res.trials[0],
        "top_mean": res.ensemble,
        "selected_ensemble": res.selected,
    }
    models: dict[str, Any] = {}
    probs: Probs = {}
    for name, model in named.items():
        if model is None or model.test is None:
            continue
        models[name] = model_entry(model, res.behaviours)
        probs[name], labels = read_csvs(path.parent, model.test.files, res.behaviours)
        probs["labels"] = labels
    trials = [
        {
            "number": t.number,
            "family": t.family,
            "cv_value": t.cv_value,
            "oof_pooled": t.oof_pr_auc,
            "test": None if t.uncertainty is None else t.uncertainty.test,
        }
        for t in res.trials
    ]
    return {"models": models, "trials": trials, "printed": printed.splitlines()}, probs


def model_entry(model: Any, behaviours: tuple[str, ...]) -> dict[str, Any]:
    from mbr_search.evaluate.printed import in_sample

    u = model.uncertainty
    assert u is not None and model.test is not None
    return {
        "estimate": u.estimate,
        "kind": u.kind,
        "estimate_interval": None if u.estimate_interval is None else u.estimate_interval.to_json(),
        "expected_test": None if u.expected_test is None else u.expected_test.to_json(),
        "in_sample": in_sample(model),
        "cv_value": getattr(model, "cv_value", None),
        "outer": u.test,
        "outer_interval": None if u.test_interval is None else u.test_interval.to_json(),
        "outer_per_behaviour": {b: model.test.raw.pooled[b].pr_auc for b in behaviours},
        "family": getattr(model, "family", None),
        "members": list(getattr(model, "members", ()) or ()),
    }


def read_csvs(
    folder: Path, files: dict[str, str], behaviours: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    probs, labels = {}, {}
    for vid, rel in files.items():
        frame = pd.read_csv(folder / rel)
        probs[vid] = frame[[f"{b}_prob" for b in behaviours]].to_numpy(np.float64)
        labels[vid] = frame[[f"{b}_true" for b in behaviours]].to_numpy(np.uint8)
    return probs, labels


def baseline_unit(
    work: Path, manifest: Path, fold: int, stride: int
) -> tuple[dict[str, Any], Probs]:
    """The lab's script on the 16 training videos: its inner CV estimate on the arms' inner
    folds (grouped 3-fold, stratified, seed 0), then fit on all 16 and score the 4 test
    videos. Both scored on every 3rd frame (the 10 fps frames the arms score)."""
    from threadpoolctl import threadpool_limits

    from mbr_search.config.cv import CVConfig
    from mbr_search.scoring.bootstrap import interval, pooled_mean_pr_auc
    from mbr_search.search.folds import video_folds

    cfg = baseline_config(work, manifest, fold)
    behaviours = list(cfg.behaviours)
    train, test = load_split_of(cfg)
    by_id = {v.id: v for v in train}
    oof: dict[str, np.ndarray] = {}
    with threadpool_limits(2):
        for inner in video_folds(train, CVConfig("group_kfold", k=3), 0):
            models = lab_hgb.hgb_models([by_id[v] for v in inner.train], behaviours, stride)
            for vid in inner.validation:
                oof[vid] = lab_hgb.hgb_probs(models, [by_id[vid]], len(behaviours))[::3]
        models = lab_hgb.hgb_models(train, behaviours, stride)
        outer = {v.id: lab_hgb.hgb_probs(models, [v], len(behaviours))[::3] for v in test}
    oof_labels = {v: by_id[v].labels[::3] for v in oof}
    test_labels = {v.id: v.labels[::3] for v in test}
    est_iv = interval(oof_labels, oof)
    expected = interval(oof_labels, oof, size=len(test))
    outer_iv = interval(test_labels, outer)
    entry = {
        "estimate": pooled_mean_pr_auc(oof_labels, oof),
        "kind": "oof",
        "estimate_interval": None if est_iv is None else est_iv.to_json(),
        "expected_test": None if expected is None else expected.to_json(),
        "in_sample": None,
        "cv_value": None,
        "outer": pooled_mean_pr_auc(test_labels, outer),
        "outer_interval": None if outer_iv is None else outer_iv.to_json(),
        "family": "hgb",
        "members": [],
        "stride": stride,
        "n_features": int(train[0].features.shape[1]),
    }
    return {"models": {"baseline": entry}}, {"baseline": outer, "labels": test_labels}


def baseline_config(work: Path, manifest: Path, fold: int) -> Any:
    from mbr_search.config.study import load_study

    path = _bench.write_yaml(
        work / "studies" / f"q_baseline_o{fold}.yaml",
        {
            "name": f"q_baseline_o{fold}",
            "dataset": str(manifest),
            "behaviours": ["social", "nonsocial", "aggression"],
            "fps": lab_hgb.BASELINE_FPS,
            "features": {
                "backbone": "pose",
                "windows": {"seconds": list(lab_hgb.BASELINE_SECONDS)},
            },
            # unused (the baseline trains no searched model); by path: see study_file
            "space": str(_bench.ROOT / "search_spaces" / "lstm_pose.yaml"),
            "cv": {"scheme": "group_kfold", "k": 3},
            "seed": 0,
        },
    )
    return load_study(str(path), cache_dir=work / "cache")


def load_split_of(cfg: Any) -> tuple[list[Any], list[Any]]:
    from mbr_search.features.store import load_split

    return load_split(cfg, "train"), load_split(cfg, "test")
