"""Benchmark: does test-time augmentation (TTA, issue 20 item 6) pay on held-out videos?

The nested yardstick (``benchmarks/quality.py``) saved, for each of its 5 outer folds, the
``auto_pose`` selected-ensemble model directory that ``evaluate`` wrote from that fold's
training videos, and scored it on the fold's 4 outer test videos. Here every one of those
20 test videos is predicted again from its DeepLabCut file through ``predict``'s own path
(``predict/inputs.py:prepare``: the pose features, resampled to the model's 10 fps), once
plainly and once with TTA (``inference/tta.py``): each member trained on augmented copies
averaged over the fixed transform set (rotations by multiples of 90 degrees, the mirror
image, the two rats swapped: 16 views), the other members on the video itself. Both are
scored with the package's pooled mean PR-AUC over social / nonsocial / aggression; the
paired difference (TTA - plain) gets a 90 % bootstrap interval over whole videos
(``mbr_search.scoring.bootstrap.difference``). The labels ``predict`` writes (the model's
thresholds, chosen on out-of-fold predictions without TTA, then its post-processing) are
scored too: pooled frame F1 and bout F1. The plain prediction is checked against the test
probabilities the yardstick unit recorded (``quality_parts/auto_pose_o{K}.npz``). Each
(member, view) is predicted once and timed (process CPU seconds), so both arms, and TTA
over every member, come from the same numbers. It runs a ``git archive`` snapshot of the
committed ``mbr_search/``.

    .venv/bin/python benchmarks/tta.py [--rotations 4] [--folds 0 1 2 3 4]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import yaml
from quality_units import Q

NESTED = _bench.ROOT / "benchmarks" / ".work" / "nested"
PARTS = _bench.ROOT / "benchmarks" / "results" / "quality_parts"
ARM = "auto_pose"
BEHAVIOURS = ("social", "nonsocial", "aggression")
#: the unit's saved probabilities of the model directory (the selected ensemble)
RECORDED = "selected_ensemble"


def test_videos(fold: int) -> tuple[list[tuple[str, Path, float]], dict[str, Any]]:
    """(video id, pose file, fps) of the fold's outer test videos, and the unit's record."""
    unit = json.loads((PARTS / f"{ARM}_o{fold}.json").read_text())
    manifest = NESTED / "rat" / f"outer{fold}" / "dataset.yaml"
    data = yaml.safe_load(manifest.read_text())
    by_id = {v["id"]: v for v in data["videos"]}
    out = []
    for vid in unit["test_videos"]:
        entry = by_id[vid]
        pose = Path(entry["pose"])
        pose = pose if pose.is_absolute() else manifest.parent / pose
        out.append((vid, pose, float(entry.get("fps", data["fps"]))))
    return out, unit


def views_probs(model: Any, nets: Any, path: Path, fps: float, cache: Path, rotations: int):
    """(views, members, frames, behaviours) probabilities of one input, the transforms, and
    CPU seconds: features of the video, of the other views, per (view, member) prediction."""
    from mbr_search.data.pose import read_pose
    from mbr_search.inference.probabilities import member_probabilities
    from mbr_search.inference.tta import transform_set, tta_video
    from mbr_search.predict.inputs import pose_settings, prepare

    t0 = time.process_time()
    prepared = prepare(model, path, source_fps=fps, pose=None, cache_root=cache)
    t1 = time.process_time()
    pose = read_pose(path)
    transforms = transform_set(model.pose_features.augment, pose.xy.shape[1], rotations=rotations)
    video = tta_video(prepared.video, pose, pose_settings(model), (fps, model.fps), transforms)
    t2 = time.process_time()
    n = len(model.behaviours)
    probs = np.zeros((len(video.views), len(model.members), prepared.video.n_frames, n))
    cpu = np.zeros((len(video.views), len(model.members)))
    for i, view in enumerate(video.views):
        for k, (member, net) in enumerate(zip(model.members, nets, strict=True)):
            start = time.process_time()
            probs[i, k] = member_probabilities([member], [net], model.standardiser, view, n)[0]
            cpu[i, k] = time.process_time() - start
    return probs, transforms, {"features": t1 - t0, "views": t2 - t1, "predict": cpu}


def combine(model: Any, probs: np.ndarray) -> dict[str, np.ndarray]:
    """The three predictions from (views, members, frames, behaviours): plain (view 0), TTA
    as implemented (augmented members over every view), TTA of every member."""
    from mbr_search.inference.probabilities import member_weights
    from mbr_search.inference.tta import member_views

    w = member_weights(model.members)
    per_member = np.stack(
        [
            probs[list(member_views(m, len(probs))), k].mean(axis=0)
            for k, m in enumerate(model.members)
        ]
    )
    return {
        "plain": np.tensordot(w, probs[0].astype(np.float32), axes=1).astype(np.float32),
        "tta": np.tensordot(w, per_member.astype(np.float32), axes=1).astype(np.float32),
        "tta_all_members": np.tensordot(w, probs.mean(axis=0), axes=1).astype(np.float32),
    }


def run_fold(fold: int, cache: Path, rotations: int, limit: int | None) -> dict[str, Any]:
    """Every test video of one outer fold: its three predictions, labels, CPU seconds and
    the plain prediction's distance from the unit's recorded probabilities."""
    from mbr_search.inference import model_dir
    from mbr_search.inference.tta import member_views

    videos, unit = test_videos(fold)
    model = model_dir.load(NESTED / "eval" / ARM / f"o{fold}" / "model")
    t0 = time.process_time()
    nets = model_dir.load_nets(model)
    load_cpu = time.process_time() - t0
    recorded = np.load(PARTS / f"{ARM}_o{fold}.npz")
    out: dict[str, Any] = {"videos": {}, "load_cpu": load_cpu}
    for vid, path, fps in videos[:limit]:
        probs, transforms, cpu = views_probs(model, nets, path, fps, cache, rotations)
        preds = combine(model, probs)
        decided = {a: decide(model, pr) for a, pr in preds.items()}
        used = [list(member_views(m, len(probs))) for m in model.members]
        pred = cpu["predict"]
        out["videos"][vid] = {
            "preds": preds,
            "post": decided,
            "labels": recorded[f"labels/{vid}"].astype(np.int8),
            # stored as round(p * Q) in uint16 (quality_units.py)
            "recorded": recorded[f"{RECORDED}/{vid}"].astype(np.float64) / Q,
            "cpu_plain": cpu["features"] + pred[0].sum(),
            "cpu_tta": cpu["features"]
            + cpu["views"]
            + sum(pred[i, k] for k, views in enumerate(used) for i in views),
            "cpu_tta_all_members": cpu["features"] + cpu["views"] + pred.sum(),
            "views": len(transforms),
        }
        print(
            f"o{fold} {vid}: plain {out['videos'][vid]['cpu_plain']:.1f} CPU s, TTA "
            f"{out['videos'][vid]['cpu_tta']:.1f}",
            flush=True,
        )
    out["members"] = [
        {"family": m.family, "augment": bool(getattr(m.params, "augment", False)),
         "weight": m.weight} for m in model.members
    ]  # fmt: skip
    out["recorded_score"] = unit["models"][RECORDED]["outer"]
    out["plain_vs_recorded_max_abs"] = max(
        float(np.abs(d["preds"]["plain"] - d["recorded"]).max()) for d in out["videos"].values()
    )
    out["windowed_members"] = sum(m.windows is not None for m in model.members)
    return out


def decide(model: Any, probs: np.ndarray) -> np.ndarray:
    """0/1 labels as ``predict`` writes them: the model's thresholds (chosen by evaluate on
    out-of-fold predictions without TTA), then its post-processing."""
    from mbr_search.scoring import postprocess, thresholds

    raw = thresholds.binarise(probs, model.threshold_list)
    return postprocess.apply_all(raw, model.postprocess_list)


def f1_scores(labels: dict, probs: dict, post: dict) -> dict[str, Any]:
    """Pooled frame F1 and segmental (bout) F1 of the post-processed labels, per behaviour
    and their mean (the package's scorer, evaluate/scores/metrics.py)."""
    from mbr_search.evaluate.scores.metrics import Scored, score

    scored = {v: Scored(labels[v], probs[v], post[v]) for v in labels}
    pooled = score(scored, list(BEHAVIOURS), 10.0).pooled
    f1 = {b: pooled[b].f1 for b in BEHAVIOURS}
    seg = {b: pooled[b].segmental_f1 for b in BEHAVIOURS}
    return {
        "f1": {b: round(v, 4) if v is not None else None for b, v in f1.items()},
        "mean_f1": round(float(np.mean([v for v in f1.values() if v is not None])), 4),
        "mean_segmental_f1": round(float(np.mean([v for v in seg.values() if v is not None])), 4),
    }


def check_implementation(fold: int, cache: Path, rotations: int, expected: np.ndarray) -> float:
    """Max |difference| between ``tta_predict_videos`` (what predict and evaluate run) and
    the benchmark's own combination of per-(view, member) probabilities, on one video."""
    from mbr_search.data.pose import read_pose
    from mbr_search.inference import model_dir
    from mbr_search.inference.tta import transform_set, tta_predict_videos, tta_video
    from mbr_search.predict.inputs import pose_settings, prepare

    (_vid, path, fps), *_ = test_videos(fold)[0]
    model = model_dir.load(NESTED / "eval" / ARM / f"o{fold}" / "model")
    nets = model_dir.load_nets(model)
    prepared = prepare(model, path, source_fps=fps, pose=None, cache_root=cache)
    pose = read_pose(path)
    transforms = transform_set(model.pose_features.augment, pose.xy.shape[1], rotations=rotations)
    video = tta_video(prepared.video, pose, pose_settings(model), (fps, model.fps), transforms)
    n = len(model.behaviours)
    got = tta_predict_videos(model.members, nets, model.standardiser, [video], n)[video.id]
    return float(np.abs(got - expected).max())


def scores(folds: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Pooled scores of each arm over every video, per fold, and the paired differences."""
    from mbr_search.scoring.bootstrap import difference, pooled_mean_pr_auc

    videos = {v: d for f in folds.values() for v, d in f["videos"].items()}
    labels = {v: d["labels"] for v, d in videos.items()}
    arms = {
        a: {v: d["preds"][a] for v, d in videos.items()}
        for a in ("plain", "tta", "tta_all_members")
    }
    recorded = {v: d["recorded"] for v, d in videos.items()}
    views = {d["views"] for d in videos.values()}
    if len(views) != 1:
        raise ValueError(f"the videos have different numbers of TTA views: {sorted(views)}")
    out: dict[str, Any] = {
        "videos": len(videos),
        "views": views.pop(),
        "frames": sum(len(d["labels"]) for d in videos.values()),
        "pooled": {a: round(pooled_mean_pr_auc(labels, p), 4) for a, p in arms.items()},
        "cpu_seconds": {a: round(sum(d[f"cpu_{a}"] for d in videos.values()), 1) for a in arms},
        "recorded_pooled": round(pooled_mean_pr_auc(labels, recorded), 4),
        "plain_vs_recorded_max_abs": float(
            max(np.abs(d["preds"]["plain"] - d["recorded"]).max() for d in videos.values())
        ),
    }
    out["post_processed"] = {
        a: f1_scores(labels, arms[a], {v: d["post"][a] for v, d in videos.items()}) for a in arms
    }
    for arm in ("tta", "tta_all_members"):
        value, iv = difference(labels, arms[arm], arms["plain"], seed=0)
        out[f"{arm}_minus_plain"] = {
            "value": round(value, 4), "interval": iv.to_json() if iv else None,
        }  # fmt: skip
    out["per_behaviour"] = per_behaviour(labels, arms)
    out["against_lab_script"] = against_lab_script(folds, labels, arms)
    out["per_fold"] = {}
    for k, f in folds.items():
        ids = list(f["videos"])
        lab = {v: labels[v] for v in ids}
        out["per_fold"][f"o{k}"] = {
            "recorded_outer": f["recorded_score"],
            "plain_vs_recorded_max_abs": f["plain_vs_recorded_max_abs"],
            "windowed_members": f["windowed_members"],
            **{a: round(pooled_mean_pr_auc(lab, {v: arms[a][v] for v in ids}), 4) for a in arms},
            "members": f["members"],
        }
    return out


def per_behaviour(labels: dict, arms: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Pooled PR-AUC of each behaviour, per arm (the yardstick's scorer)."""
    from mbr_search.training.scores import pr_auc

    videos = sorted(labels)
    y = np.concatenate([labels[v] for v in videos])
    out = {}
    for arm, probs in arms.items():
        p = np.concatenate([probs[v] for v in videos])
        out[arm] = {b: round(pr_auc(y[:, c], p[:, c]), 4) for c, b in enumerate(BEHAVIOURS)}
    return out


def against_lab_script(folds: dict[int, dict[str, Any]], labels: dict, arms: dict) -> dict:
    """Each arm minus the lab's HGB script on the same videos (its yardstick units,
    ``quality_parts/baseline_o{K}.npz``), paired, with a 90 % interval over videos: the
    margin issue 20 sets its targets on, for the ensemble as ``predict`` now runs it."""
    from mbr_search.scoring.bootstrap import difference, pooled_mean_pr_auc

    script: dict[str, np.ndarray] = {}
    for k in folds:
        unit = PARTS / f"baseline_o{k}.npz"
        if not unit.is_file():
            return {"missing": f"baseline_o{k}.npz"}
        stored = np.load(unit)
        script |= {
            v: stored[f"baseline/{v}"].astype(np.float64) / Q
            for v in folds[k]["videos"]
            if f"baseline/{v}" in stored
        }
    if set(script) != set(labels):
        return {"missing": sorted(set(labels) - set(script))}
    out: dict[str, Any] = {
        "lab_script_pooled": round(pooled_mean_pr_auc(labels, script), 4),
        "lab_script_per_behaviour": per_behaviour(labels, {"s": script})["s"],
    }
    for arm in ("plain", "tta"):
        value, iv = difference(labels, arms[arm], script, seed=0)
        out[f"{arm}_minus_lab_script"] = {
            "value": round(value, 4), "interval": iv.to_json() if iv else None,
        }  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, default=4, help="TTA rotations (x2 x2 views)")
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--videos", type=int, help="only the first N test videos per fold")
    args = parser.parse_args()
    started = time.perf_counter()
    report = _bench.header("tta", rotations=args.rotations, folds=args.folds, arm=ARM)
    with tempfile.TemporaryDirectory(prefix="mbr-bench-tta-") as name:
        cache = Path(name) / "cache"
        # The committed mbr_search/, not a working tree others are editing: every
        # mbr_search import in this script is inside a function, after this line.
        report["code"] = _bench.snapshot(Path(name) / "code")
        sys.path.insert(0, str(Path(name) / "code"))
        folds = {k: run_fold(k, cache, args.rotations, args.videos) for k in args.folds}
        first = folds[args.folds[0]]
        vid = next(iter(first["videos"]))
        result = scores(folds)
        result["implementation_max_abs"] = check_implementation(
            args.folds[0], cache, args.rotations, first["videos"][vid]["preds"]["tta"]
        )
    iv = result["tta_minus_plain"]["interval"]
    pays = iv is not None and iv["low"] > 0
    report |= {
        "scale": "nested yardstick, auto_pose selected ensembles of the 5 outer folds, their "
        "4 outer test videos each (20 full-length rat-pair videos at 10 fps)",
        "result": result,
        "target": {
            "statement": "TTA becomes the default if its paired 90 % interval over videos "
            "excludes zero in its favour",
            "value": result["tta_minus_plain"]["value"],
            "met": pays,
            "verdict": "TTA pays" if pays else "no evidence that TTA pays",
        },
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
