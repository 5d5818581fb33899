"""The search-efficiency section of docs/benchmarks.md: the 81-point thesis grid against the
multi-fidelity arms. Fixed prose; every number comes from the JSON."""

from __future__ import annotations

import statistics

from _fmt import Result, fmt, table, target_line, yes

ARM_NAMES = {
    "tpe_mf": "TPE + hyperband",
    "tpe_mf_value": "TPE + hyperband, pruned by value",
    "random_mf": "random + hyperband",
    "tpe_none": "TPE, no pruning",
    "tpe_median": "TPE + median (after each fold)",
}


def headline(d: Result) -> str:
    t = d.get("target") or {}
    ratio = t.get("tpe_mf_median_ratio_cpu")
    return f"TPE + hyperband (pruned by value) median CPU-s ratio {fmt(ratio, 3)} (target 0.10)"


def _arm_rows(d: Result) -> list[str]:
    rows = []
    for arm, seeds in d["arms"].items():
        for s in seeds:
            rows.append(
                f"{ARM_NAMES.get(arm, arm)} | {s['seed']} | {yes(s['reached'])} | "
                f"{s['trials_to_reach'] or '—'} / {s['trials_run']} ({s['pruned']} pruned) | "
                f"{fmt(s['cpu_seconds_to_reach'], 0)} | {fmt(s['ratio_cpu'], 3)} | "
                f"{s['epochs_to_reach'] or '—'} | {fmt(s['ratio_epochs'], 3)} | "
                f"{fmt(s['best_full_value'], 4)}"
            )
    return rows


def _medians(d: Result) -> str:
    out = []
    for arm, seeds in d["arms"].items():
        ratios = [s["ratio_cpu"] if s["reached"] else float("inf") for s in seeds]
        if ratios:
            m = statistics.median(ratios)
            shown = "not reached" if m == float("inf") else f"{m:.3f}"
            out.append(f"{ARM_NAMES.get(arm, arm)} {shown}")
    return "; ".join(out)


def _reuse(r: Result | None) -> str:
    if r is None:
        return "**Reuse across trials**: not run yet."
    return (
        f"**Reuse across trials** ({r['trials']} configurations, 2 architectures x 3 batch "
        f"sizes, seq_len 300, 2 layers): sharing compiled models and fold sequences "
        f"(the default) took {r['cpu_seconds_shared']:.0f} CPU-s, sharing nothing "
        f"{r['cpu_seconds_nothing_shared']:.0f} CPU-s ({r['speedup']:.2f}x); "
        f"{r['models_built_shared']} models built and {r['models_reused_shared']} restarted, "
        f"{r['sequence_hits_shared']} fold sequence sets read from the cache. Same values "
        f"with and without sharing: {yes(r['same_values'])}."
    )


def search_efficiency(d: Result) -> str:
    cfg, g = d["config"], d.get("grid")
    arms = "; ".join(f"`{a}` = {ARM_NAMES.get(a, a)}" for a in cfg["arms"])
    intro = f"""\
Does Bayesian search with multi-fidelity pruning find the thesis grid's answer at a fraction
of its compute? The full thesis LSTM grid ({" x ".join(f"{k} {v}" for k, v in cfg["grid"].items())},
81 points, units halving per layer; dropout {cfg["fixed"]["dropout"]}, Adam
{cfg["fixed"]["learning_rate"]}) is run exhaustively with GridSampler and no pruning. Each arm
then searches the same 81 points (categorical), on the same folds and data, once per seed
({", ".join(map(str, cfg["seeds"]))}): {arms}.
Hyperband reports after every epoch of the first fold and after every fold (one step axis,
`search/rungs.py`). **Reached** = a complete trial scored on all folds has at least
{cfg["tolerance"]:.0%} of the grid's best mean CV PR-AUC; an arm stops there, or once it has
spent {cfg["cap"]:.0%} of the grid's CPU seconds ("not reached"). CPU seconds are the
process's (`time.process_time`, one thread per process, pruned trials and sampling included);
epochs come from the objective's `on_epoch` callback.

**Reductions to fit 2 cores**: the first {cfg["videos"]} training videos of the rat split
(leave-one-video-out: {cfg["videos"]} folds), their first {cfg["frames"]:,} frames at 10 fps
(so seq_len 1650 fits twice per video), pose features (94-d), at most {cfg["max_epochs"]} epochs
(patience {cfg["patience"]}), and one multi-label model per trial instead of the thesis' binary
model per behaviour (a third of the compute). The grid's units and seq_len are the thesis'."""
    if g is None:
        done = ", ".join(d.get("grid_chunks_done") or []) or "none"
        return f"{intro}\n\nThe grid has not finished yet (chunks done: {done})."
    best = ", ".join(f"{k}={g['best_params'][k]}" for k in cfg["grid"])
    head = (
        "arm | seed | reached | trials to reach / run | CPU-s to reach | ratio CPU-s | "
        "epochs to reach | ratio epochs | best all-fold value"
    )
    link = d.get("plot")
    plot = f"Best-so-far against CPU seconds, every arm and seed: `{link}`." if link else ""
    return f"""\
{intro}

{target_line(d)}

**Grid**: {g["points"]} points ({g["ran_in"]}), best {g["best"]:.4f} ({best}), {g["epochs"]}
epochs, {g["cpu_seconds"]:.0f} CPU-s.

{table(head, _arm_rows(d))}

Median CPU-s ratio to reach (an unreached seed counts as never): {_medians(d)}. {plot}

{_reuse(d.get("reuse"))}

How it ran: {d.get("how_run", "in one go")}."""
