"""Benchmark: does pose augmentation help? The same configurations trained with and without it.

Paired design on the bundled real rat pairs (``datasets/rat_social_mini``: 6 training videos,
grouped 3-fold, the shipped ``lstm_pose`` settings): CONFIGS configurations drawn by a seeded
random sampler from the ``lstm_pose`` space, each run twice, once with ``augment: false``
and once with ``augment: true`` (the study's augmentation recipe: one copy per training
video, random rotation, reflection, identity swap, keypoint noise of 0.02 body lengths),
with the same trial seed and no pruning so that every configuration is scored on every
fold. The two runs differ in nothing else. Validation folds are never augmented, so the
difference of the two CV means is the effect of augmentation on unseen videos.

    .venv/bin/python benchmarks/augmentation.py [--configs 6]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import yaml

AUGMENT = {"copies": 1, "rotate": True, "reflect": True, "swap_identities": True, "noise": 0.02}


def study_for(tmp: Path, augment: bool) -> Any:
    """lstm_pose as shipped, its space with ``augment`` fixed, a random sampler, no pruner."""
    from mbr_search.config.study import load_study

    space = yaml.safe_load((_bench.ROOT / "search_spaces" / "lstm_pose.yaml").read_text("utf-8"))
    space["name"] = f"lstm_pose_augment_{augment}".lower()
    space["fixed"] = dict(space.get("fixed") or {}) | {"augment": augment}
    _bench.write_yaml(tmp / "search_spaces" / f"{space['name']}.yaml", space)
    study = yaml.safe_load((_bench.ROOT / "studies" / "lstm_pose.yaml").read_text("utf-8"))
    study |= {
        "name": f"bench_{space['name']}",
        "dataset": str(_bench.RAT_MINI),
        "space": str(tmp / "search_spaces" / f"{space['name']}.yaml"),
        "sampler": {"name": "random"},
        "pruner": {"name": "none"},
    }
    study["features"] = dict(study["features"]) | {"augment": dict(AUGMENT)}
    path = _bench.write_yaml(tmp / "studies" / f"{space['name']}.yaml", study)
    return load_study(str(path), cache_dir=tmp / "cache")


def run_arm(tmp: Path, augment: bool, configs: int) -> list[dict[str, Any]]:
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import video_folds

    cfg = study_for(tmp, augment)
    videos = load_split(cfg, "train")
    folds = video_folds(videos, cfg.cv, cfg.seed)
    print(f"[augment={augment}] {configs} configurations", flush=True)
    return _bench.search(cfg, videos, folds, n_trials=configs)


def paired(off: list[dict[str, Any]], on: list[dict[str, Any]]) -> dict[str, Any]:
    """Per configuration CV with and without augmentation; mean difference, wins, Wilcoxon."""
    from scipy.stats import wilcoxon

    rows = []
    for a, b in zip(off, on, strict=True):
        same = {k: v for k, v in a["params"].items() if k != "augment"} == {
            k: v for k, v in b["params"].items() if k != "augment"
        }
        assert same, "the two arms must run the same configurations"
        if a["value"] is None or b["value"] is None:
            continue
        rows.append({"params": a["params"], "cv_off": a["value"], "cv_on": b["value"],
                     "cpu_off": a["cpu_seconds"], "cpu_on": b["cpu_seconds"]})  # fmt: skip
    diffs = np.array([r["cv_on"] - r["cv_off"] for r in rows])
    p = float(wilcoxon(diffs).pvalue) if len(diffs) >= 2 and np.any(diffs) else None
    return {
        "configs": rows,
        "mean_difference": round(float(diffs.mean()), 4) if len(diffs) else None,
        "wins": int((diffs > 0).sum()),
        "losses": int((diffs < 0).sum()),
        "wilcoxon_p": p,
        "best_off": max(r["cv_off"] for r in rows) if rows else None,
        "best_on": max(r["cv_on"] for r in rows) if rows else None,
        "cpu_ratio": round(sum(r["cpu_on"] for r in rows) / sum(r["cpu_off"] for r in rows), 2)
        if rows
        else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=6, help="paired configurations")
    args = parser.parse_args()
    started = time.perf_counter()
    report = _bench.header("augmentation", configs=args.configs, augment=AUGMENT)
    with tempfile.TemporaryDirectory(prefix="mbr-bench-aug-") as name:
        tmp = Path(name)
        off = run_arm(tmp, False, args.configs)
        on = run_arm(tmp, True, args.configs)
    result = paired(off, on)
    helps = result["mean_difference"] is not None and result["mean_difference"] > 0
    report |= {
        "scale": "bundled rat_social_mini: 6 training videos x 1,500 frames at 10 fps, grouped "
        "3-fold, lstm_pose settings (15 epochs, patience 4), no pruning",
        "result": result,
        "target": {
            "statement": "none (the issue asks to measure whether augmentation helps)",
            "value": None,
            "met": None,
            "verdict": "helps on average" if helps else "does not help on average",
        },
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
