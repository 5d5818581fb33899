"""Benchmark: how many promoted quick looks ensemble selection needs (``cv.ensemble_pool``).

With ``cv.max_folds`` only promoted trials are scored on every fold, and ensemble selection
takes only those. This replays that on searches that scored every trial on all folds: the
nested yardstick's ``auto_pose`` inner studies (``quality.py``'s work folder). For each
study and pool size N, the candidates are the N best trials by their first fold's score
(what a quick look on one fold would have ranked them by); the selection is scored by its
cross-fitted estimate (each fold blended by a selection made on the other folds), the
estimate ``evaluate`` reports. Nothing is trained: out-of-fold predictions come from the
studies' artifacts.

    .venv/bin/python benchmarks/ensemble_pool.py [--work benchmarks/.work/nested]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import _bench
import numpy as np

DEFAULT_WORK = _bench.ROOT / "benchmarks" / ".work" / "nested"


def full_trials(study: Any) -> list[Any]:
    """Complete trials scored on every fold, with out-of-fold predictions."""
    import optuna

    from mbr_search.search.record import TrialRecord

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    records = {t.number: TrialRecord.from_trial(t) for t in done}
    most = max((len(r.fold_scores) for r in records.values()), default=0)
    return [
        t
        for t in done
        if len(records[t.number].fold_scores) == most and records[t.number].oof_artifact_id
    ]


def first_fold_value(trial: Any) -> float:
    from mbr_search.search.record import TrialRecord

    scores = TrialRecord.from_trial(trial).fold_scores["0"]
    defined = [v for v in scores.values() if v is not None]
    return float(np.mean(defined)) if defined else -1.0


def replay(work: Path, fold: int) -> dict[str, Any] | None:
    import optuna

    from mbr_search.config.study import load_study
    from mbr_search.evaluate.ensemble.selection import cross_fitted
    from mbr_search.features.store import load_split
    from mbr_search.scoring.bootstrap import pooled_mean_pr_auc
    from mbr_search.search.folds import video_folds
    from mbr_search.search.oof import load_oof_artifact
    from mbr_search.search.record import TrialRecord

    name = f"q_auto_pose_o{fold}"
    path = work / "studies" / f"{name}.yaml"
    if not path.is_file():
        return None
    cfg = load_study(str(path), cache_dir=work / "cache")
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{work / 'auto_pose.db'}")
    trials = sorted(full_trials(study), key=first_fold_value, reverse=True)
    store = optuna.artifacts.FileSystemArtifactStore(str(work / "artifacts"))
    oof = {
        t.number: load_oof_artifact(store, TrialRecord.from_trial(t).oof_artifact_id, "artifacts")
        for t in trials
    }
    train = load_split(cfg, "train")
    labels = {v.id: v.labels for v in train}
    folds = [f.validation for f in video_folds(train, cfg.cv, cfg.seed)]
    curve = []
    for n in range(1, len(trials) + 1):
        pool = {t.number: oof[t.number] for t in trials[:n]}
        fit = cross_fitted(pool, labels, folds)
        curve.append(pooled_mean_pr_auc({v: labels[v] for v in fit.probs}, fit.probs))
    return {"outer_fold": fold, "candidates": len(trials), "cross_fitted_by_pool": curve}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    started = time.perf_counter()
    studies = [r for f in range(5) if (r := replay(args.work, f)) is not None]
    if not studies:
        print(f"no auto_pose inner study in {args.work}: run quality.py first", file=sys.stderr)
        return 0
    longest = max(len(s["cross_fitted_by_pool"]) for s in studies)
    mean_curve = []
    for n in range(longest):
        values = [
            s["cross_fitted_by_pool"][n] for s in studies if n < len(s["cross_fitted_by_pool"])
        ]
        mean_curve.append({"pool": n + 1, "mean": float(np.mean(values)), "studies": len(values)})
    report = _bench.header("ensemble_pool", studies=len(studies))
    report |= {"studies": studies, "curve": mean_curve}
    best = max(mean_curve, key=lambda r: r["mean"])["mean"]
    enough = next(r["pool"] for r in mean_curve if r["mean"] >= best - 0.005)
    report["target"] = {
        "statement": "the smallest pool whose mean cross-fitted estimate is within 0.005 of "
        "the best pool's (the default cv.ensemble_pool should be at least it)",
        "value": enough,
        "met": None,
        "verdict": f"pool {enough} is within 0.005 of the best ({best:.3f})",
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
