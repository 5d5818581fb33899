"""Assemble the nested yardstick's ``quality.json`` from the units that exist
(``quality_units.py``): nothing is trained here, every number comes from the parts.

Per arm and model: the outer score pooled over every test video measured so far (with its
interval over videos and per behaviour), mean and sd over outer folds, and per outer fold
the estimate evaluate printed, estimate - outer, and whether the estimate's 90 % interval
(and the expected-test interval) covered the outer score. Then paired differences between
arms on the videos both scored, and which search value tracks the outer score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import quality_units as units
from scipy.stats import spearmanr

from mbr_search.scoring.bootstrap import difference, interval, pooled_mean_pr_auc

PREDICT_MODEL = {"baseline": "baseline"}  # searched arms: the selected ensemble
#: the comparisons of the docs' table: (arm, model) - (arm, model), on shared videos
PAIRS = (
    (("auto_pose", "selected_ensemble"), ("baseline", "baseline")),
    (("auto_pose", "best_single"), ("baseline", "baseline")),
    (("auto_pose", "selected_ensemble"), ("auto_pose", "best_single")),
    (("gbdt_pose", "selected_ensemble"), ("baseline", "baseline")),
    (("lstm_pose", "selected_ensemble"), ("baseline", "baseline")),
    (("tcn_pose", "selected_ensemble"), ("baseline", "baseline")),
    # does searching the families together beat each family searched alone?
    (("auto_pose", "selected_ensemble"), ("tcn_pose", "selected_ensemble")),
    (("auto_pose", "selected_ensemble"), ("lstm_pose", "selected_ensemble")),
    (("auto_pose", "selected_ensemble"), ("gbdt_pose", "selected_ensemble")),
    # issue 20: does MS-TCN beat the TCN family it would join auto_pose beside?
    (("mstcn_pose", "selected_ensemble"), ("tcn_pose", "selected_ensemble")),
    (("mstcn_pose", "best_single"), ("tcn_pose", "best_single")),
)


def predict_model(arm: str) -> str:
    return PREDICT_MODEL.get(arm, "selected_ensemble")


def assemble(
    arms: Sequence[str],
    outer: Sequence[Sequence[str]],
    targets: dict[str, Any],
    tta: dict[str, Any] | None = None,
) -> dict:
    """``tta``: ``benchmarks/results/tta.json`` when it exists (the same ensembles predicted
    with test-time augmentation, as ``predict`` now does by default)."""
    loaded = {
        arm: {f: units.load_part(arm, f) for f in range(len(outer)) if units.has_part(arm, f)}
        for arm in arms
    }
    summary = {arm: arm_summary(parts) for arm, parts in loaded.items() if parts}
    predicted = with_tta(summary, tta)
    return {
        "arms": summary,
        "differences": differences(loaded),
        "search_value": search_value(loaded),
        "predict_with_tta": predicted,
        "target": target(summary, targets, len(outer), predicted),
    }


def with_tta(summary: dict[str, Any], tta: dict[str, Any] | None) -> dict[str, Any] | None:
    """auto_pose's selected ensemble as ``predict`` gives it by default (with TTA): per outer
    fold, the estimate evaluate printed against the TTA outer score of ``benchmarks/tta.py``.
    None without tta.json, or when its plain scores are not these units' (other models)."""
    auto = summary.get("auto_pose", {}).get("models", {}).get("selected_ensemble")
    if tta is None or auto is None:
        return None
    per_fold = tta["result"]["per_fold"]
    rows = []
    for r in auto["folds"]:
        got = per_fold.get(f"o{r['fold']}")
        if got is None or abs(got["recorded_outer"] - r["outer"]) > 1e-4:
            return None  # tta.json predicted other models than these units saved
        outer = float(got["tta"])
        rows.append({
            "fold": r["fold"], "estimate": r["estimate"], "outer_plain": r["outer"],
            "outer": outer, "gap": r["estimate"] - outer,
            "covered": _covers(r["interval"], outer),
            "covered_expected": _covers(r["expected_test"], outer),
        })  # fmt: skip
    return {
        "source": "benchmarks/results/tta.json",
        "commit": tta["code"]["commit"],
        "folds": rows,
        **gap_summary(rows),
    }


def gap_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean (absolute) estimate - outer over fold rows, and how many folds each interval
    covered."""
    return {
        "mean_abs_gap": float(np.mean([abs(r["gap"]) for r in rows])),
        "mean_gap": float(np.mean([r["gap"] for r in rows])),
        "covered": sum(bool(r["covered"]) for r in rows),
        "covered_expected": sum(bool(r["covered_expected"]) for r in rows),
        "n_folds": len(rows),
    }


def _covers(interval: dict[str, Any] | None, value: float) -> bool | None:
    """Whether a JSON interval (``low``, ``high``) holds ``value``; None without one."""
    return None if interval is None else interval["low"] <= value <= interval["high"]


def arm_summary(parts: dict[int, tuple[dict[str, Any], units.Probs]]) -> dict[str, Any]:
    names = sorted({m for entry, _ in parts.values() for m in entry["models"]})
    models = {}
    for name in names:
        folds = [
            fold_row(f, entry["models"][name])
            for f, (entry, _) in sorted(parts.items())
            if name in entry["models"]
        ]
        labels, probs = pooled_inputs(parts, name)
        models[name] = {
            "folds": folds,
            "pooled_outer": pooled(labels, probs),
            "outer_mean": float(np.mean([r["outer"] for r in folds])),
            "outer_sd": float(np.std([r["outer"] for r in folds], ddof=1))
            if len(folds) > 1
            else None,
            **gap_summary(folds),
            "noise_floor": noise_floor(labels, probs, size=_test_size(parts, name)),
        }
    first = next(iter(parts.values()))[0]
    return {
        "models": models,
        "outer_folds_run": sorted(parts),
        "cpu_seconds": round(sum(e["cpu_seconds"] for e, _ in parts.values()), 1),
        "budget_trials": first.get("budget_trials"),
        "commits": sorted({e["code"]["commit"] for e, _ in parts.values()}),
    }


def fold_row(fold: int, m: dict[str, Any]) -> dict[str, Any]:
    ci, expected = m.get("estimate_interval"), m.get("expected_test")
    outer = m["outer"]
    return {
        "fold": fold,
        "estimate": m["estimate"],
        "kind": m["kind"],
        "in_sample": m.get("in_sample"),
        "outer": outer,
        "gap": m["estimate"] - outer,
        "interval": ci,
        "covered": _covers(ci, outer),
        "expected_test": expected,
        "covered_expected": _covers(expected, outer),
    }


def pooled_inputs(
    parts: dict[int, tuple[dict[str, Any], units.Probs]], name: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    labels: dict[str, np.ndarray] = {}
    probs: dict[str, np.ndarray] = {}
    for _, p in parts.values():
        if name in p:
            probs |= p[name]
            labels |= {v: p["labels"][v] for v in p[name]}
    return labels, probs


def pooled(labels: dict[str, np.ndarray], probs: dict[str, np.ndarray]) -> dict[str, Any]:
    from mbr_search.training.scores import pr_auc

    videos = sorted(probs)
    y = np.concatenate([labels[v] for v in videos])
    p = np.concatenate([probs[v] for v in videos])
    iv = interval(labels, probs)
    return {
        "mean": pooled_mean_pr_auc(labels, probs),
        "interval": None if iv is None else iv.to_json(),
        "per_behaviour": [pr_auc(y[:, c], p[:, c]) for c in range(y.shape[1])],
        "videos": len(videos),
    }


def differences(loaded: dict[str, dict[int, Any]]) -> list[dict[str, Any]]:
    out = []
    for (arm_a, model_a), (arm_b, model_b) in PAIRS:
        if not loaded.get(arm_a) or not loaded.get(arm_b):
            continue
        labels_a, probs_a = pooled_inputs(loaded[arm_a], model_a)
        _, probs_b = pooled_inputs(loaded[arm_b], model_b)
        shared = sorted(set(probs_a) & set(probs_b))
        if not shared:
            continue
        value, iv = difference(
            {v: labels_a[v] for v in shared},
            {v: probs_a[v] for v in shared},
            {v: probs_b[v] for v in shared},
        )
        out.append(
            {
                "a": f"{arm_a} {model_a}",
                "b": f"{arm_b} {model_b}",
                "videos": len(shared),
                "value": value,
                "interval": None if iv is None else iv.to_json(),
                "verdict": verdict(iv),
            }
        )
    return out


def verdict(iv: Any) -> str:
    if iv is None:
        return "no interval"
    if iv.low > 0:
        return "a better"
    return "b better" if iv.high < 0 else "no evidence"


def search_value(loaded: dict[str, dict[int, Any]]) -> dict[str, Any]:
    """Which per-trial number tracks the outer score of the evaluated trials: the mean of
    per-fold PR-AUC (the search value) or the pooled out-of-fold PR-AUC. Per unit with 3+
    trials: Spearman correlation with the outer score and mean |value - outer|."""
    rows: dict[str, list[float]] = {"cv_value": [], "oof_pooled": []}
    gaps: dict[str, list[float]] = {"cv_value": [], "oof_pooled": []}
    units_used = 0
    for arm, parts in loaded.items():
        if arm == "baseline":
            continue
        for entry, _ in parts.values():
            trials = [t for t in entry.get("trials", []) if t["test"] is not None]
            if len(trials) < 3:
                continue
            units_used += 1
            outer = [t["test"] for t in trials]
            for key in rows:
                values = [t[key] for t in trials]
                rows[key].append(float(spearmanr(values, outer).statistic))
                gaps[key] += [abs(v - o) for v, o in zip(values, outer, strict=True)]
    return {
        "units": units_used,
        "spearman_mean": {k: _mean(v) for k, v in rows.items()},
        "mean_abs_gap": {k: _mean(v) for k, v in gaps.items()},
    }


def _test_size(parts: dict[int, tuple[dict[str, Any], units.Probs]], name: str) -> int:
    """The videos of an outer fold's test set: the most any unit scored ``name`` on."""
    return max(len(p[name]) for _, p in parts.values() if name in p)


def noise_floor(
    labels: dict[str, np.ndarray], probs: dict[str, np.ndarray], *, size: int, draws: int = 1000
) -> dict[str, Any] | None:
    """How far a *perfect* estimate would still land from one outer fold's score: the
    level over every video measured stands in for the truth, and ``size`` distinct videos
    drawn from them stand in for an outer fold's test set. Its mean |draw - level| is the
    floor of the target's mean |estimate - outer| that no estimator can beat in
    expectation; None with fewer than twice ``size`` videos."""
    videos = sorted(probs)
    if len(videos) < 2 * size:
        return None
    level = pooled_mean_pr_auc(labels, probs)
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(draws):
        pick = rng.choice(len(videos), size=size, replace=False)
        subset = [videos[i] for i in pick]
        scores.append(
            pooled_mean_pr_auc({v: labels[v] for v in subset}, {v: probs[v] for v in subset})
        )
    gaps = np.abs(np.asarray(scores) - level)
    return {
        "test_videos": size,
        "pool_videos": len(videos),
        "draws": draws,
        "mean_abs": float(np.mean(gaps)),
        "sd": float(np.std(scores, ddof=1)),
    }


def _sd(values: list[float]) -> float | None:
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def target(
    summary: dict[str, Any],
    targets: dict[str, Any],
    k: int,
    predicted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The target on the model ``predict`` uses: with TTA (its default) when ``predicted``
    holds those scores, and the plain prediction evaluate scored in each unit beside it."""
    auto = summary.get("auto_pose", {}).get("models", {}).get("selected_ensemble")
    statement = (
        f"auto_pose's selected ensemble (what predict uses): mean |estimate - outer| <= "
        f"{targets['mean_abs_gap']} over the {k} outer folds, its 90 % interval covering the "
        f"outer score in >= {targets['covered_folds']} of {k}"
    )
    if auto is None or auto["n_folds"] < k:
        done = 0 if auto is None else auto["n_folds"]
        return {"statement": statement, "value": None, "met": None,
                "verdict": f"Not all measured yet ({done} of {k} outer folds)."}  # fmt: skip
    judged = predicted if predicted is not None and predicted["n_folds"] == k else auto
    met = judged["mean_abs_gap"] <= targets["mean_abs_gap"] and (
        judged["covered"] >= targets["covered_folds"]
    )
    plain = f"mean |gap| {auto['mean_abs_gap']:.3f}, covered {auto['covered']}/{k}"
    if judged is auto:
        verdict = plain
    else:
        verdict = (
            f"with TTA (predict's default): mean |gap| {judged['mean_abs_gap']:.3f} (mean gap "
            f"{judged['mean_gap']:+.3f}), covered {judged['covered']}/{k}; without TTA: {plain}"
        )
    return {
        "statement": statement,
        "value": judged["mean_abs_gap"],
        "met": met,
        "verdict": f"{'met' if met else 'missed'}: {verdict}",
    }
