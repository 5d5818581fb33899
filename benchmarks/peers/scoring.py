"""The one scorer of the peers benchmark: every arm's per-frame probabilities, scored alike
(pooled PR-AUC, F1 at the out-of-fold threshold, segmental F1), and the readers of the
quality benchmark's mbr-search outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from _common import BEHAVIOURS, MBR_ARMS

# ---------------------------------------------------------------- one scorer


def best_threshold(y: np.ndarray, p: np.ndarray) -> float | None:
    """The probability threshold that maximises F1 on (y, p) (out-of-fold data)."""
    from sklearn.metrics import precision_recall_curve

    if not y.any():
        return None
    prec, rec, thr = precision_recall_curve(y, p)
    f1 = 2 * prec[:-1] * rec[:-1] / np.maximum(prec[:-1] + rec[:-1], 1e-12)
    return float(thr[int(np.argmax(f1))])


def score(
    truth: dict[str, np.ndarray],
    test: dict[str, np.ndarray],
    oof: dict[str, np.ndarray] | None,
) -> dict[str, Any]:
    """PR-AUC, F1 at the OOF threshold and segmental F1 per behaviour, pooled over the test
    videos; ``oof`` None: the threshold is 0.5 (said in the entry)."""
    from sklearn.metrics import average_precision_score, f1_score

    from mbr_search.scoring.bouts import segmental_prf, segmental_scores

    vids = sorted(test)
    per: dict[str, Any] = {}
    for c, b in enumerate(BEHAVIOURS):
        y = np.concatenate([truth[v][:, c] for v in vids])
        p = np.concatenate([test[v][:, c] for v in vids]).astype(np.float64)
        thr, source = 0.5, "fixed 0.5"
        if oof:
            oy = np.concatenate([truth[v][:, c] for v in sorted(oof)])
            op = np.concatenate([oof[v][:, c] for v in sorted(oof)]).astype(np.float64)
            t = best_threshold(oy, op)
            if t is not None:
                thr, source = t, "max F1 on out-of-fold training videos"
        hits = n_true = n_pred = 0
        for v in vids:
            h, nt, npred = segmental_scores(truth[v][:, c], test[v][:, c] >= thr)
            hits, n_true, n_pred = hits + h, n_true + nt, n_pred + npred
        per[b] = {
            "pr_auc": float(average_precision_score(y, p)) if y.any() else None,
            "f1": float(f1_score(y, p >= thr, zero_division=0)),
            "segmental_f1": segmental_prf(hits, n_true, n_pred)[2],
            "threshold": round(thr, 4),
            "threshold_from": source,
            "prevalence": float(y.mean()),
            "bouts_true": n_true,
            "bouts_pred": n_pred,
        }

    def mean(key: str) -> float | None:
        vals = [e[key] for e in per.values() if e[key] is not None]
        return float(np.mean(vals)) if vals else None

    return {
        "per_behaviour": per,
        "mean_pr_auc": mean("pr_auc"),
        "mean_f1": mean("f1"),
        "mean_segmental_f1": mean("segmental_f1"),
        "frames": int(sum(len(test[v]) for v in vids)),
        "videos": vids,
    }


def read_npz(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    test, oof = {}, {}
    with np.load(path) as npz:
        for k in npz.files:
            kind, vid = k.split("/", 1)
            (test if kind == "test" else oof)[vid] = npz[k]
    return test, oof


# ---------------------------------------------------------------- mbr-search arms (read)


def _same(true: np.ndarray, want: np.ndarray | None) -> bool:
    return want is not None and true.shape == want.shape and np.array_equal(true, want)


def read_frames_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(path)
    probs = df[[f"{b}_prob" for b in BEHAVIOURS]].to_numpy(np.float32)
    true = df[[f"{b}_true" for b in BEHAVIOURS]].to_numpy(np.uint8)
    return probs, true


def _scored_here(
    model: Any, root: Path, truth: dict[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """One evaluated model's test and out-of-fold CSVs scored by the one scorer, with the
    label guard that fits what it exposes (its CSVs' labels against the Caltech truth), and
    its test probabilities."""
    test, oof, mismatch, oof_mismatch = {}, {}, [], []
    for vid, rel in model.test.files.items():
        test[vid], true = read_frames_csv(root / rel)
        if not _same(true, truth.get(vid)):
            mismatch.append(vid)
    for vid, rel in model.oof.files.items():
        oof[vid], true = read_frames_csv(root / rel)
        if not _same(true, truth.get(vid)):
            oof_mismatch.append(vid)
    scores = score(truth, test, oof) | {
        "status": "scored here",
        "truth_mismatch_videos": mismatch,
        "label_guard": {
            "passed": not mismatch and not oof_mismatch,
            "check": "the labels its evaluate CSVs carry (the *_true columns: what it "
            "trained on, out of fold, and was scored against) equal the Caltech truth "
            "after the frame mapping, frame by frame",
            "test_videos": len(test),
            "out_of_fold_videos": len(oof),
            "mismatched_videos": mismatch + oof_mismatch,
        },
    }
    return scores, test


def mbr_arm(
    name: str,
    quality_work: Path,
    truth: dict[str, np.ndarray],
    quality: dict[str, Any],
    probs_out: dict[str, Any],
) -> dict[str, Any]:
    """One mbr-search model, scored here from its evaluate CSVs (its test probabilities go
    to ``probs_out[name]``), or its quality.json numbers."""
    from mbr_search.evaluate.results import Results

    arm, key = MBR_ARMS[name]
    results = quality_work / "eval" / arm / "results.json"
    entry: dict[str, Any] = {"quality_arm": arm, "model": key, "not_re_run": True}
    q = quality.get("arms", {}).get(arm)
    if q is not None:
        entry["cpu_seconds"] = q.get("cpu_seconds")
        entry["search_cpu_seconds"] = q.get("search_cpu_seconds")
        entry["budget_trials"] = q.get("budget_trials")
        entry["code"] = q.get("code")
        entry["date"] = q.get("date")
    if results.is_file():
        res = Results.from_json(json.loads(results.read_text("utf-8")), source=str(results))
        model = {"best_single": res.trials[0] if res.trials else None}.get(key)
        if key == "selected_ensemble":
            model = res.selected
        elif key == "top_mean":
            model = res.ensemble
        if model is not None and model.test is not None:
            scores, probs_out[name] = _scored_here(model, results.parent, truth)
            entry |= scores
            entry["source"] = str(results)
            if key == "best_single":
                entry["trial"] = res.trials[0].number
                entry["family"] = res.trials[0].params.get("model")
            return entry
    if q is not None and key in q.get("models", {}):
        m = q["models"][key]
        entry |= {
            "status": "from quality.json (different scorer)",
            "why": f"no per-frame predictions at {results} when this ran",
            "mean_pr_auc": m.get("test_mean"),
            "per_behaviour": {
                b: {"pr_auc": v.get("pr_auc"), "f1": v.get("f1"), "segmental_f1": None}
                for b, v in m.get("test", {}).items()
            },
            "scorer": "mbr-search evaluate (pooled PR-AUC; F1 at its own tuned threshold)",
        }
        return entry
    return entry | {
        "status": "not available",
        "why": f"the quality benchmark had not yet written {results} nor its quality.json "
        "entry; `run.py --arms ''` scores it once it has",
    }


def baseline_arm(quality: dict[str, Any]) -> dict[str, Any]:
    """The HistGradientBoosting baseline runs inside quality.py and writes no per-frame
    predictions: its numbers come from quality.json (30 fps frames, F1 at 0.5; its PR-AUC on
    the 10 fps frames is stored there too)."""
    q = quality.get("arms", {}).get("baseline")
    if q is None:
        return {
            "status": "not available",
            "why": "quality.json had no baseline arm yet (the quality benchmark was running)",
        }
    m = q["models"]["baseline"]
    return {
        "status": "from quality.json (different scorer)",
        "why": "quality.py trains it in-process and writes no per-frame predictions",
        "mean_pr_auc": m.get("test_mean_on_10fps_frames"),
        "mean_pr_auc_30fps": m.get("test_mean"),
        "per_behaviour": {
            b: {"pr_auc": v.get("pr_auc"), "f1": v.get("f1"), "segmental_f1": None}
            for b, v in m.get("test", {}).items()
        },
        "scorer": "quality.py: per-behaviour PR-AUC and F1 at 0.5 on every 30 fps test frame; "
        "mean PR-AUC on the 10 fps frames",
        "cpu_seconds": q.get("cpu_seconds"),
        "not_re_run": True,
    }
