"""Benchmark: the model a lab would use instead (gradient boosting on window features)
versus mbr-search's best LSTM and TCN after a fixed budget of trials.

Same real rat data (the first training videos of benchmarks/rat_dataset.py, pose features
at 10 fps), same leave-one-video-out folds, same behaviours, same PR-AUC (the package's
``pr_auc`` on each validation video's frames; a behaviour without a positive frame in a
fold's training or validation videos is skipped there, for every model alike).

- **Baseline**: scikit-learn ``HistGradientBoostingClassifier`` per behaviour on SimBA-style
  window features: the package's ``features.windows`` (each pose feature plus its centred
  mean / std / min / max over 0.5, 1.5 and 3.1 s, i.e. 5, 15, 31 frames); balanced class
  weights.
- **mbr-search**: the package's ``Objective`` with the shipped ``lstm_pose`` / ``tcn_pose``
  spaces, TPE and median pruning, BUDGET trials each; the best trial's per-fold scores.

    .venv/bin/python benchmarks/baseline.py [--budget 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import rat_dataset

#: the package's window features (``features.windows``): 5, 15 and 31 frames at 10 fps
WINDOWS = (0.5, 1.5, 3.1)
#: the baseline trains on every STRIDE-th training frame (10 fps frames are near duplicates)
STRIDE = 2
Scores = dict[str, dict[str, float | None]]


def hgb_folds(
    study_cfg: Any, ids: Sequence[str], frames: int, folds: Sequence[Any], behaviours: Sequence[str]
) -> dict:
    """One boosting model per fold and behaviour on the study's window features."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from mbr_search.features.store import load_split
    from mbr_search.training.scores import pr_auc

    wall0, cpu0 = time.perf_counter(), time.process_time()
    videos = [v for v in load_split(study_cfg, "train") if v.id in ids]  # computed, cached
    feats = {v.id: np.asarray(v.features[:frames], dtype=np.float32) for v in videos}
    labels = {v.id: np.asarray(v.labels[:frames]) for v in videos}
    feature_seconds = time.perf_counter() - wall0
    fold_scores: Scores = {}
    for fold in folds:
        x_train = np.concatenate([feats[v][::STRIDE] for v in fold.train])
        y_train = np.concatenate([labels[v][::STRIDE] for v in fold.train])
        x_val = np.concatenate([feats[v] for v in fold.validation])
        y_val = np.concatenate([labels[v] for v in fold.validation])
        scores: dict[str, float | None] = {}
        for b, name in enumerate(behaviours):
            scores[name] = None
            if y_train[:, b].any() and y_val[:, b].any():
                clf = HistGradientBoostingClassifier(
                    class_weight="balanced", early_stopping=True, random_state=0
                )
                with threadpool_limits(1):  # measured faster than 2 OpenMP threads here
                    clf.fit(x_train, y_train[:, b])
                scores[name] = pr_auc(y_val[:, b], clf.predict_proba(x_val)[:, 1])
        fold_scores[str(fold.index)] = scores
        print(f"[hgb] fold {fold.index}: {scores}", flush=True)
    return {
        "name": "HistGradientBoosting + window features",
        "fold_scores": fold_scores,
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "feature_seconds": round(feature_seconds, 1),
        "n_features": int(next(iter(feats.values())).shape[1]),
    }


def summarise(fold_scores: Scores, behaviours: Sequence[str], keys: dict[str, list[str]]) -> dict:
    """Mean PR-AUC per behaviour and overall on the (fold, behaviour) pairs in ``keys``."""
    per: dict[str, float | None] = {}
    everything: list[float] = []
    for name in behaviours:
        vals = [
            float(v)
            for f, s in fold_scores.items()
            if f in keys.get(name, ()) and (v := s.get(name)) is not None
        ]
        per[name] = round(float(np.mean(vals)), 4) if vals else None
        everything += vals
    return {"per_behaviour": per, "mean": round(float(np.mean(everything)), 4)}


def common_pairs(behaviours: Sequence[str], *scores: Scores) -> dict[str, list[str]]:
    """The folds, per behaviour, that every model scored (a like-for-like comparison)."""
    return {
        b: [f for f in scores[0] if all(s.get(f, {}).get(b) is not None for s in scores)]
        for b in behaviours
    }


def study(space: str, tmp: Path, manifest: Path, cfg: dict[str, Any], windows: bool = False) -> Any:
    """The shipped pose study's settings on the full rat data, leave-one-video-out; with
    ``windows``, the package's window features of the pose features."""
    features: dict[str, Any] = {"backbone": "pose"}
    if windows:
        features["windows"] = {"seconds": list(WINDOWS)}
    from mbr_search.config.study import load_study

    path = _bench.write_yaml(
        tmp / f"baseline_{space}.yaml",
        {
            "name": f"bench_baseline_{space}",
            "dataset": str(manifest),
            "behaviours": ["social", "nonsocial", "aggression"],
            "fps": 10,
            "features": features,
            "space": space,
            "cv": {"scheme": "leave_one_video_out"},
            "sampler": {"name": "tpe", "n_startup_trials": 8, "multivariate": True},
            "pruner": {"name": "median", "n_startup_trials": 4, "n_warmup_steps": 0},
            "training": {"max_epochs": cfg["max_epochs"], "patience": cfg["patience"]},
            "seed": 0,
        },
    )
    return load_study(str(path), cache_dir=tmp / "cache")


def deep_search(study_cfg: Any, videos: list[Any], folds: list[Any], budget: int) -> dict:
    space = study_cfg.space.name
    print(f"[{space}] {budget} trials", flush=True)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rows = _bench.search(study_cfg, videos, folds, n_trials=budget)
    top = _bench.best(rows)
    if top is None:
        return {"name": space, "error": "no complete trial"}
    return {
        "name": f"mbr-search {space.split('_')[0].upper()} (space {space})",
        "budget_trials": budget,
        "trials": rows,
        "best_trial": top["number"],
        "best_value": top["value"],
        "best_params": top["params"],
        "fold_scores": top["fold_scores"],
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "pruned": sum(r["state"] == "PRUNED" for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=5, help="first N training videos")
    parser.add_argument("--frames", type=int, default=1500, help="first N frames of each")
    parser.add_argument("--budget", type=int, default=10, help="trials per deep search")
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=3)
    args = parser.parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import video_folds

    cfg = {
        "frames": args.frames,
        "videos": args.videos,
        "budget": args.budget,
        "max_epochs": args.max_epochs,
        "patience": args.patience,
    }
    started = time.perf_counter()
    report = _bench.header("baseline", **cfg, windows_seconds=list(WINDOWS), stride=STRIDE)
    with tempfile.TemporaryDirectory(prefix="mbr-bench-bl-") as name:
        tmp = Path(name)
        manifest = rat_dataset.build_rat_dataset(tmp / "rat")
        studies = {space: study(space, tmp, manifest, cfg) for space in ("lstm_pose", "tcn_pose")}
        first = studies["lstm_pose"]
        videos = _bench.trim(load_split(first, "train")[: args.videos], args.frames)
        folds = video_folds(videos, first.cv, 0)
        behaviours = list(first.behaviours)
        windowed = study("lstm_pose", tmp, manifest, cfg, windows=True)
        ids = [v.id for v in videos]
        models = {"hgb": hgb_folds(windowed, ids, args.frames, folds, behaviours)}
        for space, study_cfg in studies.items():
            models[space] = deep_search(study_cfg, videos, folds, args.budget)
    scored = [m for m in models.values() if m.get("fold_scores")]
    keys = common_pairs(behaviours, *[m["fold_scores"] for m in scored])
    everything = {b: list(models["hgb"]["fold_scores"]) for b in behaviours}
    for m in scored:
        m["summary"] = summarise(m["fold_scores"], behaviours, keys)
        m["summary_all_folds"] = summarise(m["fold_scores"], behaviours, everything)
    report |= {
        "scale": f"real rat pairs, pose features (94-d), the first {len(videos)} of the 15 "
        f"training videos of benchmarks/rat_dataset.py ({', '.join(v.id for v in videos)}), "
        f"first {args.frames} frames each at 10 fps, leave-one-video-out ({len(folds)} folds)",
        "behaviours": behaviours,
        "scored_pairs": {b: len(v) for b, v in keys.items()},
        "models": models,
        "target": {
            "statement": "none stated (a comparison)",
            "value": None,
            "met": None,
            "verdict": "No target.",
        },
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
