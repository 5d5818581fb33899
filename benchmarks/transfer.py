"""Benchmark: which pose feature groups carry over to videos the search never saw (issue 20,
item 3, its measuring half).

The nested yardstick (``benchmarks/quality.py``) saved, for each of its 5 outer folds, the
``auto_pose`` selected-ensemble model directory ``evaluate`` wrote from that fold's 16
training videos. Here each of the 20 outer test videos is prepared through ``predict``'s
own path (``predict/inputs.py:prepare``) and predicted by its fold's ensemble (plainly, as
the yardstick's units scored it), once as it is and once per feature group with that
group's columns permuted over the video's frames (``evaluate``'s permutation importance,
``mbr_search/evaluate/importance/permutation.py:permuted``: one seeded draw per group and
video; members with window features compute them from the permuted columns). A group's
drop is the pooled mean PR-AUC of the unpermuted prediction minus the permuted one, with
a paired 90 % bootstrap interval over whole videos
(``mbr_search.scoring.bootstrap.difference``).

A group whose drop is clearly above zero is one the models use *and* that holds on new
videos; a drop near zero means the models gain nothing from it on new videos (unused, or
used in training and not carrying over); a negative drop means new videos score better
without it. The groups are those of ``features/column_groups.py``: posture (egocentric
keypoints), distances, speed, angles (heading), position (arena x, y and the nearest
wall), missing keypoints and pair features. Nothing is trained. It runs a ``git archive``
snapshot of the committed ``mbr_search/``.

    .venv/bin/python benchmarks/transfer.py [--folds 0 1 2 3 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import _bench
import numpy as np
from quality_units import Q
from tta import ARM, BEHAVIOURS, NESTED, PARTS, RECORDED, test_videos

SEED = 0


def fold_predictions(fold: int, cache: Path) -> dict[str, Any]:
    """One outer fold: per test video its labels, the unpermuted probabilities and those
    with each group permuted, and the CPU seconds of the predictions."""
    from mbr_search.evaluate.importance.permutation import permuted
    from mbr_search.features.column_groups import group_columns, pose_column_groups
    from mbr_search.inference import model_dir
    from mbr_search.inference.probabilities import predict_videos
    from mbr_search.predict.inputs import prepare

    model = model_dir.load(NESTED / "eval" / ARM / f"o{fold}" / "model")
    nets = model_dir.load_nets(model)
    features = model.pose_features
    names = pose_column_groups(len(features.keypoints), len(features.individuals))
    groups = group_columns(names)
    recorded = np.load(PARTS / f"{ARM}_o{fold}.npz")
    n = len(model.behaviours)
    out: dict[str, Any] = {"videos": {}, "groups": {g: len(c) for g, c in groups.items()}}
    started = time.process_time()
    for i, (vid, path, fps) in enumerate(test_videos(fold)[0]):
        video = prepare(model, path, source_fps=fps, pose=None, cache_root=cache).video
        if video.features.shape[1] != len(names):
            raise ValueError(f"{vid}: {video.features.shape[1]} columns, groups name {len(names)}")

        def predict(x: np.ndarray, video: Any = video) -> np.ndarray:
            seen = replace(video, features=x)
            return predict_videos(model.members, nets, model.standardiser, [seen], n)[video.id]

        entry = {
            "labels": recorded[f"labels/{vid}"].astype(np.int8),
            "recorded": recorded[f"{RECORDED}/{vid}"].astype(np.float64) / Q,
            "plain": predict(video.features),
            "permuted": {},
        }
        for g, (name, columns) in enumerate(groups.items()):
            rng = np.random.default_rng([SEED, fold, i, g])
            entry["permuted"][name] = predict(permuted(video.features, columns, rng))
        out["videos"][vid] = entry
        print(f"o{fold} {vid}: {len(groups)} groups permuted", flush=True)
    out["cpu_seconds"] = time.process_time() - started
    return out


def drops(folds: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Each group's pooled drop over every video, per behaviour, with its interval."""
    from mbr_search.evaluate.importance.permutation import pooled_pr_auc
    from mbr_search.scoring.bootstrap import difference, pooled_mean_pr_auc

    videos = {v: d for f in folds.values() for v, d in f["videos"].items()}
    labels = {v: d["labels"] for v, d in videos.items()}
    plain = {v: d["plain"] for v, d in videos.items()}
    sizes = next(iter(folds.values()))["groups"]
    base = pooled_pr_auc(labels, plain, BEHAVIOURS)
    groups = {}
    for name, columns in sizes.items():
        shuffled = {v: d["permuted"][name] for v, d in videos.items()}
        after = pooled_pr_auc(labels, shuffled, BEHAVIOURS)
        value, iv = difference(labels, plain, shuffled, seed=SEED)
        low, high = (iv.low, iv.high) if iv else (np.nan, np.nan)
        verdict = "carries over" if low > 0 else ("hurts" if high < 0 else "no evidence")
        groups[name] = {
            "columns": columns,
            "drop": round(value, 4),
            "interval": iv.to_json() if iv else None,
            "per_behaviour": {b: _drop(base[b], after[b]) for b in BEHAVIOURS},
            "verdict": verdict,
        }
    return {
        "videos": len(videos),
        "plain_pooled": round(pooled_mean_pr_auc(labels, plain), 4),
        "plain_vs_recorded_max_abs": float(
            max(np.abs(d["plain"] - d["recorded"]).max() for d in videos.values())
        ),
        "groups": dict(sorted(groups.items(), key=lambda kv: -kv[1]["drop"])),
        "cpu_seconds": round(sum(f["cpu_seconds"] for f in folds.values()), 1),
    }


def _drop(before: float | None, after: float | None) -> float | None:
    """PR-AUC lost by permuting; None where the behaviour has no positive frame."""
    return None if before is None or after is None else round(before - after, 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    started = time.perf_counter()
    report = _bench.header("transfer", folds=args.folds, arm=ARM, draws_per_group=1)
    with tempfile.TemporaryDirectory(prefix="mbr-bench-transfer-") as name:
        # the committed mbr_search/: every mbr_search import here is inside a function
        report["code"] = _bench.snapshot(Path(name) / "code")
        sys.path.insert(0, str(Path(name) / "code"))
        folds = {k: fold_predictions(k, Path(name) / "cache") for k in args.folds}
        result = drops(folds)
    kept = [g for g, r in result["groups"].items() if r["verdict"] != "carries over"]
    report |= {
        "scale": "nested yardstick, auto_pose selected ensembles of the 5 outer folds, their "
        "4 outer test videos each (20 full-length rat-pair videos at 10 fps)",
        "result": result,
        "target": {
            "statement": "every pose feature group the ensembles see carries over to unseen "
            "videos (its permutation drop's 90 % interval above zero); a group that does not "
            "is the first to try without",
            "value": len(result["groups"]) - len(kept),
            "met": not kept,
            "verdict": "every group carries over"
            if not kept
            else f"not shown to carry over: {', '.join(kept)}",
        },
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
