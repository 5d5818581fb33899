"""The SimBA-style arm: SimBA's two-animal feature recipe + a scikit-learn random forest.

Run by ``benchmarks/peers/run.py`` as a child process (for its CPU seconds and peak RSS);
it reads ``WORK/prep/split.json`` and ``WORK/prep/truth.npz`` (written by run.py) and writes
``WORK/simba_rf/probs.npz``: ``test/VIDEO`` and ``oof/VIDEO`` probabilities, (frames, 3),
at 10 fps.

The features follow SimBA's hard-coded extractor for two animals
(``simba/feature_extractors/feature_extractor_8bps_2_animals.py``, with the angle and the
nose-to-tail-base cross distances of ``feature_extractor_16bp.py``), mapped to the 5
keypoints per rat of these videos: SimBA's Nose -> ``top``, Centroid -> ``body``, Tail_base
-> ``tail``; the ears, which these rats lack, are replaced by ``tail-m`` / ``tail-e`` in the
movement and hull features. The whole battery: convex-hull perimeter per rat and its change;
nose-to-tail and nose-to-centroid distance per rat; nose-nose, centroid-centroid and
nose-to-other's-tail-base distances; movement of every keypoint (frame to frame) and its
sums; per-rat hull statistics (largest / smallest / mean / sum of the pairwise keypoint
distances); the nose-centroid-tail angle; rolling median / mean / sum over SimBA's
windows (fps / [2, 5, 6, 7.5, 15] frames: 500, 200, 167, 133, 67 ms), trailing as in
SimBA; deviations from the video mean; percentile ranks; pose-probability sums and counts
of low-probability detections. Features are computed on the 30 fps pose, as SimBA does on
the video's own frame rate; the model is trained and scored on the 10 fps frames of the
other arms (every 3rd frame). Gaps in the pose (NaN) are filled by linear interpolation
(SimBA's "Body-parts: Linear" import option), then 0 as SimBA's ``fillna(0)``.

The classifier: SimBA's ``RandomForestClassifier`` settings (max_features="sqrt",
criterion="gini", min_samples_leaf=1, bootstrap) with class_weight="balanced" (SimBA's
"balanced" class-weight option), one binary model per behaviour, fewer trees than SimBA's
2,000 (``--trees``), n_jobs=1.

``--trees 40,100,200,400``: one forest per behaviour and fold grown with ``warm_start`` to
each count in turn (the first 40 trees of the 100-tree forest are the 40-tree forest, so the
sweep costs what the largest forest costs), probabilities saved per count
(``probs_T.npz``); ``probs.npz`` is the smallest count whose out-of-fold mean PR-AUC is
within 0.005 of the best count's (where the score levels off, chosen without the test
videos).

Label guard (``label_guard.frame_guard``): before training, the frames and per-behaviour
positive counts of every video it trains or is scored on must equal the Caltech files'
after the frame mapping (every 3rd frame), and its feature rows the label rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import label_guard

BODYPARTS = ("top", "body", "tail", "tail-m", "tail-e")
NOSE, CENTROID, TAIL_BASE = "top", "body", "tail"
#: SimBA's Options.ROLLING_WINDOW_DIVISORS: windows of fps / d frames
DIVISORS = (2, 5, 6, 7.5, 15)
SOURCE_FPS = 30
STEP = 3  # 30 fps -> 10 fps: frames 0, 3, 6, ...
BEHAVIOURS = ("social", "nonsocial", "aggression")
RAT_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "rat_social"
#: a count "levels off" once its out-of-fold mean PR-AUC is this close to the best count's
LEVEL = 0.005


def read_dlc_csv(path: Path) -> pd.DataFrame:
    """A multi-animal DLC CSV as (individuals, bodyparts, coords) columns, one row per frame.
    (``pd.read_csv(header=[0, 1, 2, 3], index_col=0)`` would take an all-empty frame 0 for
    the index-name row and drop it.)"""
    head = pd.read_csv(path, header=None, nrows=4, index_col=0)
    data = pd.read_csv(path, header=None, skiprows=4, index_col=0)
    data.columns = pd.MultiIndex.from_arrays(
        [head.iloc[1].to_numpy(), head.iloc[2].to_numpy(), head.iloc[3].to_numpy()],
        names=["individuals", "bodyparts", "coords"],
    )
    return data.reset_index(drop=True).astype(np.float64)


def read_pose(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """{"1_top": (frames, 2) xy, ...} and the likelihoods, animals numbered 1 and 2."""
    df = read_dlc_csv(path)
    animals = sorted(df.columns.get_level_values(0).unique())
    xy, prob = {}, {}
    for i, animal in enumerate(animals, start=1):
        for bp in BODYPARTS:
            block = df[animal][bp]
            coords = block[["x", "y"]].interpolate(limit_direction="both").fillna(0.0)
            xy[f"{i}_{bp}"] = coords.to_numpy(np.float64)
            prob[f"{i}_{bp}"] = block["likelihood"].fillna(0.0).to_numpy(np.float64)
    return xy, prob


def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a - b) ** 2).sum(axis=1))


def movement(a: np.ndarray) -> np.ndarray:
    """SimBA: distance to the previous frame (the shifted frame is 0 at frame 0)."""
    prev = np.vstack([np.zeros((1, 2)), a[:-1]])
    return dist(prev, a)


def hull_perimeter(points: np.ndarray) -> np.ndarray:
    """Convex-hull perimeter per frame of (frames, k, 2) points (SimBA's ``jitted_hull``,
    target PERIMETER, stored as ``Mouse_N_poly_area``)."""
    from scipy.spatial import ConvexHull, QhullError

    out = np.zeros(len(points))
    for t, p in enumerate(points):
        try:
            out[t] = ConvexHull(p).area  # 2-D: "area" is the perimeter
        except (QhullError, ValueError):
            out[t] = 0.0
    return out


def angle3pt(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """SimBA's ``angle3pt``: degrees of the angle a-b-c in [0, 360)."""
    ang = np.degrees(
        np.arctan2(c[:, 1] - b[:, 1], c[:, 0] - b[:, 0])
        - np.arctan2(a[:, 1] - b[:, 1], a[:, 0] - b[:, 0])
    )
    return np.where(ang < 0, ang + 360, ang)


def features(path: Path) -> pd.DataFrame:
    """SimBA's feature battery for one video at 30 fps (one row per source frame)."""
    xy, prob = read_pose(path)
    f: dict[str, np.ndarray] = {}
    for k, v in xy.items():
        f[f"{k}_x"], f[f"{k}_y"] = v[:, 0], v[:, 1]
    for k, v in prob.items():
        f[f"{k}_p"] = v
    for m in (1, 2):
        pts = np.stack([xy[f"{m}_{bp}"] for bp in BODYPARTS], axis=1)
        f[f"Mouse_{m}_poly_area"] = hull_perimeter(pts)
        prev = np.concatenate([[0.0], f[f"Mouse_{m}_poly_area"][:-1]])
        f[f"Mouse_{m}_polygon_size_change"] = prev - f[f"Mouse_{m}_poly_area"]
        f[f"Mouse_{m}_nose_to_tail"] = dist(xy[f"{m}_{NOSE}"], xy[f"{m}_{TAIL_BASE}"])
        f[f"Mouse_{m}_nose_to_centroid"] = dist(xy[f"{m}_{NOSE}"], xy[f"{m}_{CENTROID}"])
        f[f"Mouse_{m}_angle"] = angle3pt(
            xy[f"{m}_{NOSE}"], xy[f"{m}_{CENTROID}"], xy[f"{m}_{TAIL_BASE}"]
        )
        for bp in BODYPARTS:
            f[f"Movement_mouse_{m}_{bp}"] = movement(xy[f"{m}_{bp}"])
        pair = np.stack(
            [dist(pts[:, i], pts[:, j]) for i, j in combinations(range(len(BODYPARTS)), 2)],
            axis=1,
        )
        f[f"M{m}_hull_large_euclidean"] = pair.max(axis=1)
        nonzero = np.where(pair > 0, pair, np.inf)
        small = nonzero.min(axis=1)
        f[f"M{m}_hull_small_euclidean"] = np.where(np.isfinite(small), small, 0.0)
        f[f"M{m}_hull_mean_euclidean"] = pair.mean(axis=1)
        f[f"M{m}_hull_sum_euclidean"] = pair.sum(axis=1)
    f["Nose_to_nose_distance"] = dist(xy[f"1_{NOSE}"], xy[f"2_{NOSE}"])
    f["Centroid_distance"] = dist(xy[f"1_{CENTROID}"], xy[f"2_{CENTROID}"])
    f["M1_Nose_to_M2_tail_base"] = dist(xy[f"1_{NOSE}"], xy[f"2_{TAIL_BASE}"])
    f["M2_Nose_to_M1_tail_base"] = dist(xy[f"2_{NOSE}"], xy[f"1_{TAIL_BASE}"])
    f["Sum_euclidean_distance_hull_M1_M2"] = f["M1_hull_sum_euclidean"] + f["M2_hull_sum_euclidean"]
    f["Total_movement_nose"] = f[f"Movement_mouse_1_{NOSE}"] + f[f"Movement_mouse_2_{NOSE}"]
    f["Total_movement_tail_base"] = (
        f[f"Movement_mouse_1_{TAIL_BASE}"] + f[f"Movement_mouse_2_{TAIL_BASE}"]
    )
    for m in (1, 2):
        f[f"Total_movement_all_bodyparts_M{m}"] = sum(
            f[f"Movement_mouse_{m}_{bp}"] for bp in BODYPARTS
        )
    f["Total_movement_all_bodyparts_both_mice"] = (
        f["Total_movement_all_bodyparts_M1"] + f["Total_movement_all_bodyparts_M2"]
    )
    df = pd.DataFrame(f)
    rolled = {
        "Sum_euclid_distances_hull": "Sum_euclidean_distance_hull_M1_M2",
        "Movement": "Total_movement_all_bodyparts_both_mice",
        "Distance": "Nose_to_nose_distance",
        "Centroid_distance": "Centroid_distance",
        "Mouse1_mean_euclid_distances": "M1_hull_mean_euclidean",
        "Mouse2_mean_euclid_distances": "M2_hull_mean_euclidean",
        "Mouse1_smallest_euclid_distances": "M1_hull_small_euclidean",
        "Mouse2_smallest_euclid_distances": "M2_hull_small_euclidean",
        "Mouse1_largest_euclid_distances": "M1_hull_large_euclidean",
        "Mouse2_largest_euclid_distances": "M2_hull_large_euclidean",
        "Tail_base_movement_M1": f"Movement_mouse_1_{TAIL_BASE}",
        "Tail_base_movement_M2": f"Movement_mouse_2_{TAIL_BASE}",
        "Nose_movement_M1": f"Movement_mouse_1_{NOSE}",
        "Nose_movement_M2": f"Movement_mouse_2_{NOSE}",
    }
    windows = sorted({max(1, int(SOURCE_FPS / d)) for d in DIVISORS})
    extra: dict[str, pd.Series] = {}
    for name, col in rolled.items():
        for w in windows:
            r = df[col].rolling(w, min_periods=1)
            extra[f"{name}_median_{w}"] = r.median()
            extra[f"{name}_mean_{w}"] = r.mean()
            extra[f"{name}_sum_{w}"] = r.sum()
    df = pd.concat([df, pd.DataFrame(extra)], axis=1)
    dev: dict[str, pd.Series] = {}
    deviated = [
        "Total_movement_all_bodyparts_both_mice",
        "Sum_euclidean_distance_hull_M1_M2",
        "M1_hull_small_euclidean",
        "M1_hull_large_euclidean",
        "M1_hull_mean_euclidean",
        "M2_hull_small_euclidean",
        "M2_hull_large_euclidean",
        "M2_hull_mean_euclidean",
        f"Movement_mouse_1_{NOSE}",
        f"Movement_mouse_2_{NOSE}",
        "Mouse_1_poly_area",
        "Mouse_2_poly_area",
    ]
    for col in deviated:
        dev[f"{col}_deviation"] = df[col].mean() - df[col]
    for name in ("Movement", "Sum_euclid_distances_hull", "Distance"):
        for w in windows:
            col = f"{name}_mean_{w}"
            dev[f"{col}_deviation"] = df[col].mean() - df[col]
    for col in (
        "Total_movement_nose",
        "Nose_to_nose_distance",
        f"Movement_mouse_1_{NOSE}",
        f"Movement_mouse_2_{NOSE}",
    ):
        dev[f"{col}_percentile_rank"] = df[col].rank(pct=True)
    p_cols = [c for c in df.columns if c.endswith("_p")]
    p = df[p_cols].to_numpy()
    dev["Sum_probabilities"] = pd.Series(p.sum(axis=1))
    dev["Sum_probabilities_deviation"] = dev["Sum_probabilities"].mean() - dev["Sum_probabilities"]
    dev["Sum_probabilities_deviation_percentile_rank"] = dev["Sum_probabilities_deviation"].rank(
        pct=True
    )
    for hi in (0.1, 0.5, 0.75):
        dev[f"Low_prob_detections_{hi}"] = pd.Series((p <= hi).sum(axis=1).astype(float))
    out = pd.concat([df, pd.DataFrame(dev)], axis=1).fillna(0.0)
    return out.astype(np.float32)


def forest(trees: int, seed: int):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=trees,
        max_features="sqrt",
        criterion="gini",
        min_samples_leaf=1,
        bootstrap=True,
        class_weight="balanced",
        n_jobs=1,
        random_state=seed,
        warm_start=True,
    )


def fit_predict(
    x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray, counts: list[int]
) -> dict[int, np.ndarray]:
    """{trees: (frames, behaviours) probabilities} for each count, one warm-started forest
    per behaviour grown through the counts in increasing order."""
    import warnings

    # sklearn warns that "balanced" weights and warm_start disagree when the data changes
    # between fits; here every fit sees the same data, so the weights are the same
    warnings.filterwarnings("ignore", message='class_weight presets "balanced"')
    probs = {t: np.zeros((len(x_eval), y_train.shape[1]), np.float32) for t in counts}
    for c in range(y_train.shape[1]):
        if not y_train[:, c].any():
            continue
        clf = forest(counts[0], seed=c)
        for t in counts:
            clf.set_params(n_estimators=t)
            clf.fit(x_train, y_train[:, c])
            probs[t][:, c] = clf.predict_proba(x_eval)[:, 1]
    return probs


def oof_pr_auc(truth: dict[str, np.ndarray], oof: dict[str, np.ndarray]) -> float:
    """Mean over behaviours of the pooled out-of-fold PR-AUC."""
    from sklearn.metrics import average_precision_score

    vids = sorted(oof)
    y = np.concatenate([truth[v] for v in vids])
    p = np.concatenate([oof[v] for v in vids])
    return float(np.mean([average_precision_score(y[:, c], p[:, c]) for c in range(y.shape[1])]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--trees", default="200", help="a count, or counts: 40,100,200,400")
    args = parser.parse_args()
    counts = sorted({int(t) for t in str(args.trees).split(",")})
    prep = json.loads((args.work / "prep" / "split.json").read_text())
    with np.load(args.work / "prep" / "truth.npz") as npz:
        truth = {k: npz[k] for k in npz.files}
    t0 = time.process_time()
    x: dict[str, np.ndarray] = {}
    for vid, pose in prep["pose"].items():
        feats = features(Path(pose)).to_numpy()
        x[vid] = feats[::STEP][: len(truth[vid])]
    guard = label_guard.frame_guard(
        "simba_rf", truth, {v: len(a) for v, a in x.items()}, RAT_DIR, BEHAVIOURS, STEP
    )
    n_features = next(iter(x.values())).shape[1]
    print(f"features: {n_features} per frame, {time.process_time() - t0:.0f} cpu-s", flush=True)
    out: dict[int, dict[str, np.ndarray]] = {t: {} for t in counts}
    train = prep["train"]
    for i, val in enumerate(prep["folds"]):
        fit_ids = [v for v in train if v not in val]
        probs = fit_predict(
            np.concatenate([x[v] for v in fit_ids]),
            np.concatenate([truth[v] for v in fit_ids]),
            np.concatenate([x[v] for v in val]),
            counts,
        )
        starts = np.cumsum([0] + [len(x[v]) for v in val])
        for t in counts:
            for v, a, b in zip(val, starts[:-1], starts[1:], strict=True):
                out[t][f"oof/{v}"] = probs[t][a:b]
        print(f"fold {i} done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    test = prep["test"]
    probs = fit_predict(
        np.concatenate([x[v] for v in train]),
        np.concatenate([truth[v] for v in train]),
        np.concatenate([x[v] for v in test]),
        counts,
    )
    starts = np.cumsum([0] + [len(x[v]) for v in test])
    for t in counts:
        for v, a, b in zip(test, starts[:-1], starts[1:], strict=True):
            out[t][f"test/{v}"] = probs[t][a:b]
    dest = args.work / "simba_rf"
    dest.mkdir(parents=True, exist_ok=True)
    oof = {
        t: oof_pr_auc(truth, {k[4:]: p for k, p in o.items() if k.startswith("oof/")})
        for t, o in out.items()
    }
    best = max(oof.values())
    chosen = min(t for t in counts if oof[t] >= best - LEVEL)
    for t in counts:
        np.savez_compressed(dest / f"probs_{t}.npz", **out[t])
    np.savez_compressed(dest / "probs.npz", **out[chosen])
    meta = {
        "n_features": int(n_features),
        "trees": chosen,
        "tree_counts": counts,
        "oof_mean_pr_auc_per_count": {str(t): round(v, 4) for t, v in oof.items()},
        "chosen_by": f"smallest count with out-of-fold mean PR-AUC within {LEVEL} of the best",
        "label_guard": guard,
    }
    (dest / "meta.json").write_text(json.dumps(meta))
    print(f"done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
