"""The budget benchmark's section of docs/benchmarks.md. Fixed prose; every number comes from
benchmarks/results/budget.json (benchmarks/budget.py)."""

from __future__ import annotations

from _fmt import Result, fmt, signed_interval, table

MODELS = {
    "best_single": "best single",
    "top_mean": "top-3 mean",
    "selected_ensemble": "selected ensemble (what `predict` uses)",
}


def headline(d: Result) -> str:
    r = d["result"]
    scores = r["scores"]
    # only budgets scored on every video: a partial one is not comparable in one cell
    full = [b for b in r["budgets"] if scores.get(f"b{b} selected_ensemble", {}).get("videos")
            == scores["script"]["videos"]]  # fmt: skip
    points = ", ".join(f"{b}: {fmt(scores[f'b{b} selected_ensemble']['pooled'])}" for b in full)
    first, last = full[0], full[-1]
    step = next(
        (c for c in r["comparisons"] if c["a"] == f"b{last} selected_ensemble"
         and c["b"] == f"b{first} selected_ensemble"),
        None,
    )  # fmt: skip
    moved = "" if step is None else f"; {first} → {last}: {step['value']:+.3f} ({step['verdict']})"
    return f"selected ensemble by trials {points}{moved}"


def _scores(d: Result) -> str:
    r = d["result"]
    rows = []
    for budget in r["budgets"]:
        cells = []
        for model in MODELS:
            s = r["scores"].get(f"b{budget} {model}")
            iv = None if s is None else s["interval"]
            where = "" if iv is None else f" ({iv['low']:.3f}–{iv['high']:.3f})"
            cells.append("—" if s is None else f"**{fmt(s['pooled'])}**{where}")
        videos = r["scores"].get(f"b{budget} selected_ensemble", {}).get("videos", 0)
        rows.append(f"{budget} | " + " | ".join(cells) + f" | {videos}")
    script = r["scores"].get("script")
    if script is not None:
        rows.append(f"the lab's script | — | — | {fmt(script['pooled'])} | {script['videos']}")
    head = "trials | " + " | ".join(MODELS.values()) + " | test videos"
    return table(head, rows)


def _comparisons(d: Result) -> str:
    rows = [
        f"{c['lever']} | {c['a']} − {c['b']} | {c['videos']} | **{c['value']:+.3f}** | "
        f"{signed_interval(c['interval'])} | {c['verdict']}"
        for c in d["result"]["comparisons"]
    ]
    head = "step | difference | videos | value | 90 % interval (paired, over videos) | verdict"
    return table(head, rows)


def _cost(d: Result) -> str:
    cost = d["result"]["cost"]
    walls = cost.get("cumulative_trial_wall_seconds", {})
    if not walls:
        return ""
    rows = []
    for budget in d["result"]["budgets"]:
        per_fold = [w[budget - 1] for w in walls.values() if len(w) >= budget]
        wall = fmt(sum(per_fold) / len(per_fold), 0) if per_fold else "—"
        rows.append(f"{budget} | {wall} | {fmt(cost['cpu_seconds_evaluate_mean'][str(budget)], 0)}")
    states = ", ".join(f"{n} {s.lower()}" for s, n in cost["trial_states"].items())
    hours = ", ".join(
        f"{n} trials ≈ {h:.1f} h" for n, h in cost["estimated_hours_on_20_videos"].items()
    )
    return (
        table(
            "trials | wall s of the fold's first N finished trials (mean over folds) | "
            "CPU s of `evaluate --top 3` (mean over folds)",
            rows,
        )
        + f"\n\nTrial states over the {len(walls)} studies: {states}. Two or three folds ran "
        "at a time on the 2 cores, beside other work, so these wall seconds are upper bounds. "
        "A continued trial "
        f"took {fmt(cost['cpu_seconds_per_continued_trial'], 0)} CPU s on a fold's 16 videos "
        "(mean over folds). A whole `auto_pose` search plus `evaluate` on all 20 videos, "
        "scaled from those CPU seconds by 20/16 at one core (one process uses about one: "
        f"`workers` above): **estimated, not measured,** {hours}."
    )


def _reproduced(d: Result) -> str:
    rows = [
        f"{r['fold']} | `{r['yardstick_commit']}` | {fmt(r['yardstick_outer'])} | "
        f"{r['yardstick_members']} | `{r['commit']}` | {fmt(r['outer'])} | {r['members']}"
        for r in d["result"]["reproduces_yardstick"]
    ]
    if not rows:
        return ""
    return (
        "The harness checked: the yardstick's 8 trials of a fold evaluated again here, from a "
        "scratch copy holding only them, against the yardstick's own evaluation of the same "
        "trials (selected ensemble: outer score and members).\n\n"
        + table(
            "outer fold | yardstick's code | its outer score | its members | this run's code"
            " | outer score | members",
            rows,
        )
    )


def _first_commits(d: Result) -> str:
    r = d["result"]
    commits = r["first_budget_commits"]
    later = sorted(r["unit_commits"])
    older = [f for f, c in commits.items() if c not in later]
    if not older:
        return ""
    return (
        f" The {r['budgets'][0]}-trial row is the yardstick's own evaluation; on outer folds "
        f"{', '.join(older)} it ran at an earlier commit "
        f"({', '.join(sorted({commits[f] for f in older}))}) than the other rows "
        f"({', '.join(later)}), whose `evaluate` scores ensemble candidates differently, so "
        "steps from it mix two versions of `evaluate`; steps between the later rows do not."
    )


def budget(d: Result) -> str:
    parts = [
        "Does a bigger trial budget pay on videos the search never saw? The yardstick ran "
        "`auto_pose` with 8 trials per outer fold. This benchmark continues a copy of each of "
        "those 5 studies on the code the yardstick's last units ran (the seeded sampler draws "
        "each trial from the study seed and its number, so the first N trials of a longer "
        "study are the trials a study of budget N runs) and evaluates the first N trials of "
        "each as the yardstick does: `mbr-search evaluate --top 3` on a scratch copy of the "
        "study holding only those trials, retrained on the fold's 16 videos and scored on its "
        "4 held-out videos. A budget evaluated on fewer outer folds says so (last column); "
        "each difference is paired over the videos both sides scored. TPE's first 10 trials "
        "are random (`n_startup_trials: 10`): only trials 11 on are chosen by TPE."
        + _first_commits(d),
        _scores(d),
        _comparisons(d),
        "**A budget step pays when its interval is above zero; straddling zero is no evidence.**",
        _cost(d),
        _reproduced(d),
        "Each outer fold runs (and resumes) with `.venv/bin/python benchmarks/budget.py "
        "--budgets 10,20 --trials 20 --folds K`, its parts saved in "
        "`benchmarks/results/budget_parts/`; the command below assembled them.",
    ]
    return "\n\n".join(p for p in parts if p)
