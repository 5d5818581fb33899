"""The levers benchmark's section of docs/benchmarks.md. Fixed prose; every number comes from
benchmarks/results/levers.json (benchmarks/levers.py)."""

from __future__ import annotations

from _fmt import Result, fmt, signed_interval, table

#: rows that are not a variant of levers.py, as the table names them
DERIVED = {
    "bag3": "seed bag: base, seed1 and seed2 averaged",
    "yardstick_top3": "the yardstick's tcn_pose top-3 mean (8-trial search)",
    "yardstick_best": "the yardstick's tcn_pose best single (same configuration, trial seed 1)",
}


def headline(d: Result) -> str:
    """The levers themselves (not the seed-only rows, and the bag only against the top 3)."""
    r = d["result"]
    rows = [
        c
        for c in r["comparisons"]
        if not c["lever"].startswith("no lever")
        and (c["a"] != "bag3" or c["b"] == "yardstick_top3")
    ]
    levers = "; ".join(f"{c['a']} − {c['b']} {c['value']:+.3f} ({c['verdict']})" for c in rows)
    return f"{levers}; seed runs span {fmt(r['seed_range'])}"


def _variants(d: Result) -> str:
    whats = {v["name"]: v["what"] for v in d["config"]["variants"]}
    rows = []
    for name, v in d["result"]["variants"].items():
        iv = v["interval"]
        where = "—" if iv is None else f"{iv['low']:.3f}–{iv['high']:.3f}"
        per_b = " / ".join(fmt(x) for x in v["per_behaviour"].values())
        cpu = fmt(v["cpu_seconds"], 0) if v["cpu_seconds"] else "—"
        rows.append(
            f"{name} | {whats.get(name) or DERIVED.get(name, '')} | **{fmt(v['pooled'])}** "
            f"({where}) | {per_b} | {v['videos']} | {cpu}"
        )
    head = (
        "variant | what changes | pooled mean PR-AUC (90 % interval) | social / nonsocial / "
        "aggression | test videos | CPU s (run + evaluate)"
    )
    return table(head, rows)


def _comparisons(d: Result) -> str:
    r = d["result"]
    rows = [
        f"{c['lever']} | {c['a']} − {c['b']} | {c['videos']} | **{c['value']:+.3f}** | "
        f"{signed_interval(c['interval'])} | {c['verdict']} | {c['among_seed_runs'] or '—'}"
        for c in r["comparisons"]
    ]
    runs = [r["variants"][n]["pooled"] for n in r["seed_runs"]]
    where = f" ({fmt(min(runs))}–{fmt(max(runs))})" if runs else ""
    head = (
        "lever | difference | videos | value | 90 % interval (paired, over videos) | verdict "
        f"over videos | a's score among the seed runs{where}"
    )
    return table(head, rows)


def _issue_targets(d: Result) -> str:
    verdict = {True: "met", False: "**missed**", None: "**not measured**"}
    rows = [f"{t['statement']} | {t['value']} | {verdict[t['met']]}" for t in d["issue_targets"]]
    return (
        "Issue 20's targets, on the yardstick's 20 outer test videos (`quality.json`, and "
        "`tta.json` for the same ensembles as `predict` runs them). TTA's default was chosen "
        "on these videos, so its rows are not an independent test of that choice.\n\n"
        + table("target | measured (paired, 90 % interval) | verdict", rows)
    )


def _commits(r: Result) -> str:
    commits = ", ".join(f"`{c}`" for c in r["unit_commits"])
    same = r["package_diff_between_commits"]
    if len(r["unit_commits"]) < 2:
        return commits
    if same == "":
        return f"{commits} (the same `mbr_search/` at each: only the benchmark changed)"
    return f"{commits} (`mbr_search/` differs between them)"


def levers(d: Result) -> str:
    c = d["config"]
    base = c["base"]
    r = d["result"]
    seeds = r["seed_range"]
    seed_line = (
        ""
        if seeds is None
        else f" The {len(r['seed_runs'])} runs of the same configuration that differ only in "
        f"their seed ({', '.join(r['seed_runs'])}) span {fmt(seeds)} pooled mean PR-AUC on "
        "the same 20 videos. The interval is over videos only: it does not hold a retrained "
        "model's seed luck, and `base` is one of those seeds, so a lever is only shown where "
        "its score also leaves the seed runs' range (last column)."
    )
    return (
        "Does each lever pay on videos the search never saw? One configuration, the one the "
        "yardstick's `tcn_pose` search chose in all 5 outer folds (TCN, "
        f"{base['tcn_filters']} filters, kernel {base['tcn_kernel_size']}, "
        f"{base['tcn_dilations']} dilation levels, {base['tcn_norm']} norm, "
        f"{base['seq_len'] // 10} s sequences, sigmoid head, no augmentation), is run once per "
        "variant with one lever changed, on each outer fold as a one-trial study: `mbr-search "
        "run` (grouped 3-fold on the fold's 16 training videos, for the best epochs), then "
        "`mbr-search evaluate --top 1` (retrain on all 16, score the 4 outer test videos, TTA "
        "on as by default: it changes only the augmented variant). Same folds and seeds in "
        "every variant but the seed ones, so each difference is paired over the 20 videos. "
        "One configuration, not a search with the lever: a lever that pays here still has to "
        "win inside a search.\n\n"
        + _variants(d)
        + "\n\n"
        + _comparisons(d)
        + f"\n\n**A lever pays when its interval is above zero; straddling zero is no "
        f"evidence.**{seed_line}\n\n"
        + _issue_targets(d)
        + "\n\nEach unit runs (and resumes) with `.venv/bin/python benchmarks/levers.py "
        "--variants V --folds K`, its part saved in `benchmarks/results/lever_parts/`; the "
        f"command below assembled them. The units ran at {_commits(r)}."
    )
