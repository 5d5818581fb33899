"""levers.json from the saved lever units (``levers.py``): each variant's pooled outer score,
and the paired differences the issue asks for, with their intervals over videos."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import quality_assemble
import quality_units
from _bench import git
from rat_dataset import BEHAVIOURS

SEEDS = ("base", "seed1", "seed2")
Videos = dict[str, np.ndarray]


def load(
    names: Sequence[str], parts: Path, n_folds: int
) -> tuple[dict[str, Videos], Videos, dict[str, Any]]:
    """Every saved unit's best-single test probabilities per variant, the labels, and the
    units' entries (``variant -> fold -> entry``)."""
    probs: dict[str, Videos] = {}
    labels: Videos = {}
    entries: dict[str, dict[int, Any]] = {}
    for name in names:
        for fold in range(n_folds):
            if not quality_units.has_part(name, fold, parts):
                continue
            entry, part = quality_units.load_part(name, fold, parts)
            probs.setdefault(name, {}).update(part["best_single"])
            labels.update(part["labels"])
            entries.setdefault(name, {})[fold] = entry
    return probs, labels, entries


def derived(probs: dict[str, Videos], n_folds: int) -> tuple[dict[str, Videos], Videos]:
    """``bag3``: the mean of the three seeds' probabilities on the videos all three scored;
    ``yardstick_top3`` / ``yardstick_best``: the yardstick's own tcn_pose models (8-trial
    search, evaluate --top 3) on the same outer test videos; and those videos' labels."""
    out: dict[str, Videos] = {}
    labels: Videos = {}
    if all(s in probs for s in SEEDS):
        shared = set.intersection(*(set(probs[s]) for s in SEEDS))
        out["bag3"] = {v: np.mean([probs[s][v] for s in SEEDS], axis=0) for v in sorted(shared)}
    for fold in range(n_folds):
        if not quality_units.has_part("tcn_pose", fold):
            continue
        _, part = quality_units.load_part("tcn_pose", fold)
        for name, model in (("yardstick_top3", "top_mean"), ("yardstick_best", "best_single")):
            out.setdefault(name, {}).update(part[model])
        labels.update(part["labels"])
    return out, labels


def score(labels: Videos, probs: Videos) -> dict[str, Any]:
    from mbr_search.scoring.bootstrap import interval, pooled_mean_pr_auc

    iv = interval(labels, probs)
    per = {
        b: round(pooled_mean_pr_auc(
            {v: labels[v][:, [i]] for v in probs}, {v: probs[v][:, [i]] for v in probs}
        ), 4)
        for i, b in enumerate(BEHAVIOURS)
    }  # fmt: skip
    return {
        "pooled": round(pooled_mean_pr_auc(labels, probs), 4),
        "interval": None if iv is None else iv.to_json(),
        "per_behaviour": per,
        "videos": len(probs),
    }


def compare(
    labels: Videos, all_probs: dict[str, Videos], comparisons: Sequence[tuple[str, str, str]]
) -> list[dict[str, Any]]:
    from mbr_search.scoring.bootstrap import difference

    rows = []
    for a, b, lever in comparisons:
        if a not in all_probs or b not in all_probs:
            continue
        shared = sorted(set(all_probs[a]) & set(all_probs[b]))
        if not shared:
            continue
        value, iv = difference(
            labels, {v: all_probs[a][v] for v in shared}, {v: all_probs[b][v] for v in shared}
        )
        verdict = quality_assemble.verdict(iv)
        rows.append({
            "a": a, "b": b, "lever": lever, "videos": len(shared), "value": round(value, 4),
            "interval": None if iv is None else iv.to_json(),
            "verdict": {"a better": "pays", "b better": "costs"}.get(verdict, verdict),
        })  # fmt: skip
    return rows


def package_diff(commits: list[str]) -> str | None:
    """``git diff --stat`` of mbr_search/ between the first commit and each other one, joined:
    "" when the package is the same at every commit; None when git cannot say."""
    if not commits:
        return None
    diffs = [git("diff", "--stat", commits[0], c, "--", "mbr_search") for c in commits[1:]]
    return None if None in diffs else "".join(d or "" for d in diffs)


def among_seed_runs(
    rows: list[dict[str, Any]], variants: dict[str, Any], runs: list[str]
) -> list[dict[str, Any]]:
    """Each row whose ``a`` is not itself a seed run, placed among the seed runs (the same
    configuration retrained with another seed, on the same 20 videos): below all, within or
    above all of them. The bootstrap interval is over videos only; retraining moves a score
    too, and ``base`` is one of those seeds (the luckiest or not), so a lever is only shown
    where its score also leaves the seeds' range."""
    scores = [variants[n]["pooled"] for n in runs]
    for r in rows:
        a = variants.get(r["a"], {})
        if len(scores) < 2 or r["a"] in runs or a.get("videos") != 20:
            r["among_seed_runs"] = None
        elif a["pooled"] < min(scores):
            r["among_seed_runs"] = "below all"
        else:
            r["among_seed_runs"] = "above all" if a["pooled"] > max(scores) else "within"
    return rows


def assemble(
    names: Sequence[str], parts: Path, n_folds: int, comparisons: Sequence[tuple[str, str, str]]
) -> dict[str, Any]:
    """levers.json's measured part from the units of ``names`` saved in ``parts``."""
    probs, labels, entries = load(names, parts, n_folds)
    extra, yardstick_labels = derived(probs, n_folds)
    for vid, values in yardstick_labels.items():
        # the same Caltech labels on the same 10 fps frames, or the pairing is void
        assert vid not in labels or np.array_equal(labels[vid], values), vid
    labels = yardstick_labels | labels
    all_probs = probs | extra
    variants = {}
    for name, videos in all_probs.items():
        row = score(labels, videos)
        units = entries.get(name, {})
        row["folds"] = sorted(units)
        row["per_fold"] = {str(k): u["models"]["best_single"]["outer"] for k, u in units.items()}
        row["cpu_seconds"] = round(sum(u["cpu_seconds"] for u in units.values()), 1)
        row["commits"] = sorted({u["code"]["commit"][:7] for u in units.values()})
        variants[name] = row
    commits = sorted({c for v in variants.values() for c in v["commits"]})
    runs = [n for n in (*SEEDS, "yardstick_best") if variants.get(n, {}).get("videos") == 20]
    seeds = [variants[n]["pooled"] for n in runs]
    rows = compare(labels, all_probs, comparisons)
    return {
        "result": {
            "variants": variants,
            "comparisons": among_seed_runs(rows, variants, runs),
            "seed_runs": runs,
            "unit_commits": commits,
            # "" when mbr_search/ is the same at every unit's commit; None if git cannot say
            "package_diff_between_commits": package_diff(commits),
            "seed_range": round(max(seeds) - min(seeds), 4) if len(seeds) > 1 else None,
        },
        "target": {
            "statement": "issue 20: every lever a row, with and without it, same seeds and "
            "folds, with the interval of the difference; straddling zero is no evidence",
            "value": None,
            "met": None,
        },
        "issue_targets": issue_targets(),
    }


def issue_targets() -> list[dict[str, Any]]:
    """Issue 20's margin targets, read from the yardstick (quality.json) and the TTA run on
    its ensembles (tta.json): the outer score pooled over the same 20 videos."""
    import json

    from _bench import RESULTS

    quality = json.loads((RESULTS / "quality.json").read_text("utf-8"))
    tta = json.loads((RESULTS / "tta.json").read_text("utf-8"))["result"]
    against = tta["against_lab_script"]
    diffs = {(d["a"], d["b"]): d for d in quality["differences"]}
    single = diffs[("auto_pose best_single", "baseline baseline")]
    script = against["lab_script_per_behaviour"]
    behind = {
        kind: [b for b, v in tta["per_behaviour"][kind].items() if v < script[b]]
        for kind in ("plain", "tta")
    }

    def line(statement: str, value: str, met: bool | None) -> dict[str, Any]:
        return {"statement": statement, "value": value, "met": met}

    ens, plain = against["tta_minus_lab_script"], against["plain_minus_lab_script"]
    return [
        line(
            "auto_pose selected ensemble >= the lab's HGB script + 0.08 mean PR-AUC",
            f"with TTA (predict's default) {ens['value']:+.3f} "
            f"({ens['interval']['low']:+.3f} to {ens['interval']['high']:+.3f}); "
            f"plain {plain['value']:+.3f}",
            ens["value"] >= 0.08,
        ),
        line(
            "best single auto_pose trial >= HGB + 0.05",
            f"{single['value']:+.3f} ({single['interval']['low']:+.3f} to "
            f"{single['interval']['high']:+.3f}), plain",
            single["value"] >= 0.05,
        ),
        line(
            "on every behaviour, the selected ensemble >= HGB",
            "with TTA behind on: "
            + (", ".join(behind["tta"]) or "none")
            + "; plain behind on: "
            + (", ".join(behind["plain"]) or "none"),
            not behind["tta"],
        ),
        cost_line(RESULTS / "budget.json"),
    ]


def cost_line(budget_file: Path) -> dict[str, Any]:
    """Issue 20's cost target, estimated from the budget run's CPU seconds per trial (it was
    not run on idle cores): the shipped study's default trials, on all 20 videos."""
    import json

    import yaml
    from _bench import ROOT

    statement = (
        "the shipped auto_pose on 20 videos at its default budget in <= 1 hour of wall time "
        "on 2 idle cores"
    )
    shipped = yaml.safe_load((ROOT / "studies" / "auto_pose.yaml").read_text("utf-8"))
    trials = int(shipped["trials"])
    hours = {}
    if budget_file.is_file():
        cost = json.loads(budget_file.read_text("utf-8"))["result"]["cost"]
        hours = {int(n): h for n, h in cost.get("estimated_hours_on_20_videos", {}).items()}
    if trials not in hours:
        value = f"not measured: no estimate for the default budget ({trials} trials) yet"
        return {"statement": statement, "value": value, "met": None}
    value = (
        f"estimated, not measured: {hours[trials]:.1f} h at the default {trials} trials "
        "(search + evaluate --top 3, from the budget run's CPU seconds per trial, at one "
        "core)"
    )
    return {"statement": statement, "value": value, "met": hours[trials] <= 1.0}
