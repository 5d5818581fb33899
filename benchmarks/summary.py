"""Render all of docs/benchmarks.md from benchmarks/results/*.json (nothing is measured).

    .venv/bin/python benchmarks/summary.py           # rewrite docs/benchmarks.md
    .venv/bin/python benchmarks/summary.py --check   # exit 1 if the doc is out of date

The prose here is fixed; every number, verdict, date and commit comes from the JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

import _bench

DOC = _bench.ROOT / "docs" / "benchmarks.md"
TITLES = {
    "search_efficiency": "Search efficiency: thesis grid vs TPE with fold pruning",
    "trial_cost": "Trial cost: the thesis' protocol vs mbr-search's defaults",
    "memory": "Memory: peak RSS of a thesis-scale search",
    "long_run_memory": "Long runs: RSS of 200 trials, with and without process recycling",
    "workers": "Workers: trials per hour, 1 vs 2 workers, SQLite vs PostgreSQL",
    "baseline": "The model a lab would use instead: gradient boosting on window features",
    "embed": "Embedding speed (`mbr-search embed`)",
}
Result = dict[str, Any]
QUICK = "**`--quick` run: a smoke test of the script at toy scale, not a measurement.**\n\n"


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"


def table(head: str, rows: Iterable[str]) -> str:
    """A Markdown table from ``"a | b | c"`` strings."""
    rule = "|" + "---|" * (head.count("|") + 1)
    return "\n".join([f"| {head} |", rule, *(f"| {r} |" for r in rows)])


def yes(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[met]


def machine_line(m: Result) -> str:
    v = m.get("versions", {})
    ram = f", {m['ram_gb']} GB RAM" if m.get("ram_gb") else ""
    libs = ", ".join(
        f"{k} {v[k]}" for k in ("tensorflow", "keras", "optuna", "scikit-learn") if k in v
    )
    gpu = "a GPU" if m.get("gpu") else "no GPU"
    return f"{m['nproc']} cores ({m['cpu']}){ram}, {gpu}; Python {v.get('python', '?')}, {libs}"


def provenance(d: Result) -> str:
    """Date, commit, who measured, machine, load and the command, under each section."""
    code = d.get("code") or {}
    dirty = (
        ", with uncommitted changes in mbr_search/" if code.get("core_uncommitted_changes") else ""
    )
    note = f" ({code['note']})" if code.get("note") else ""
    how = f" Measured by {code['measured_by']}." if d.get("converted") else ""
    loads = " → ".join(fmt(x, 1) for x in d.get("load_average") or [] if x is not None)
    wall = (
        f" Wall time of the benchmark: {d['wall_seconds']:.0f} s." if d.get("wall_seconds") else ""
    )
    return (
        f"*Run {d['date']} at commit `{code.get('commit') or '?'}`{dirty}{note}.{how} Machine: "
        f"{machine_line(d['machine'])}. Load average {loads} (a shared machine: absolute times "
        f"vary between runs).{wall}*\n\n"
        f"Reproduce: `{d['command']}` — raw numbers: `benchmarks/results/{d['benchmark']}.json`."
    )


def target_line(d: Result) -> str:
    t = d["target"]
    if t.get("value") is None:
        return f"No numeric target: {t['statement']}."
    return f"**Target: {t['statement']}. {t['verdict']}**"


def cost_note(ds: Result) -> str:
    """Why the epoch and CPU-second ratios of the search-efficiency runs differ."""
    g, trials = ds["grid"], [t for r in ds["seeds"] for t in r["tpe_trials"]]
    epochs, cpu = sum(t["epochs"] for t in trials), sum(t["cpu_seconds"] for t in trials)
    if not trials or not epochs:
        return ""
    multi = sum(bool(t["params"].get("multi_label")) for t in trials)
    bi = sum(bool(t["params"].get("bidirectional")) for t in trials)
    pruned = sum(t["state"] == "PRUNED" for t in trials)
    per_trial = g["cpu_seconds"] / ds["grid_configurations"]
    equiv = [r["tpe_seconds_to_reach"] / per_trial for r in ds["seeds"] if r["reached"]] or [0.0]
    return (
        f"CPU seconds per epoch: grid {g['cpu_seconds'] / g['epochs']:.2f}, TPE "
        f"{cpu / epochs:.2f} (all seeds). Of the {len(trials)} TPE trials, {multi} used one "
        "multi-label model (one epoch trains all three behaviours, so it counts once where the "
        f"grid's binary models count three), {bi} were bidirectional and {pruned} were pruned "
        "(each still pays building and tracing its model): epochs flatter TPE, CPU seconds are "
        f"the fairer measure. In grid-trial equivalents (mean grid trial {per_trial:.0f} CPU-s) "
        f"TPE needed {min(equiv):.1f}-{max(equiv):.1f} to reach; against a thesis-size grid of "
        f"81 such trials that would be {min(equiv) / 81:.0%}-{max(equiv) / 81:.0%} (an "
        "extrapolation, not measured: it assumes the 81-point grid's best would be no higher)."
    )


def search_efficiency(d: Result) -> str:
    cfg, target = d["config"], d["target"]["value"]
    head = (
        "seed | grid best | grid epochs | grid CPU-s | TPE best | TPE trials to reach / run | "
        f"TPE epochs to reach | TPE CPU-s to reach | ratio epochs | ratio CPU-s | <= {target:.0%}"
    )
    parts = []
    for ds in d["datasets"]:
        if "skipped" in ds:
            parts.append(f"**{ds['dataset']}**: {ds['skipped']}")
            continue
        g = ds["grid"]
        best = ", ".join(
            f"{k}={v}" for k, v in sorted(g["best_params"].items()) if k in cfg["grid"]
        )
        rows = [
            f"{r['seed']} | {r['grid_best']:.4f} | {r['grid_epochs']} | {r['grid_seconds']:.0f} | "
            f"{fmt(r['tpe_best'], 4)} | {r['tpe_trials_to_reach'] or '—'} / {r['tpe_trials_run']} "
            f"({r['tpe_pruned']} pruned) | {r['tpe_epochs_to_reach'] or 'not reached'} | "
            f"{fmt(r['tpe_seconds_to_reach'], 0)} | {fmt(r['ratio_epochs'], 2)} | "
            f"{fmt(r['ratio_seconds'], 2)} | "
            f"{yes(r['reached'] and max(r['ratio_epochs'], r['ratio_seconds']) <= target)}"
            for r in ds["seeds"]
        ]
        run = f" Run {ds['date']}" if ds.get("date") else ""
        run += f" with `{ds['command']}`" if ds.get("command") else ""
        if "load_average_start" in ds:
            run += f", load average {ds['load_average_start']:.1f} → {ds['load_average_end']:.1f}"
        note = f"\n\nData: {ds['data_note']}." if ds.get("data_note") else ""
        parts.append(
            f"**{ds['dataset']}** — {ds['scale']}. Grid: {ds['grid_configurations']} "
            f"configurations, all folds, no pruning: best {g['best']:.4f} ({best}), "
            f"{g['epochs']} epochs, {g['cpu_seconds']:.0f} CPU-s ({g['wall_seconds']:.0f} s "
            f"wall).{run}.{note}\n\n{table(head, rows)}\n\n{cost_note(ds)}"
        )

    def used(ds: Result) -> float:  # epochs run / epochs possible (3 binary models a fold)
        return ds["grid"]["epochs"] / (
            ds["grid_configurations"] * 3 * ds["folds"] * cfg["max_epochs"]
        )

    caps = ", ".join(f"{ds['dataset']} {used(ds):.0%}" for ds in d["datasets"] if "grid" in ds)
    grid = " x ".join(f"{k} {{{', '.join(map(str, v))}}}" for k, v in cfg["grid"].items())
    n_grid = math.prod(len(v) for v in cfg["grid"].values())
    bayes = "; ".join(
        f"{k} {v['choices']}"
        if v["type"] == "categorical"
        else f"{k} {v['type']} [{v['low']:g}, {v['high']:g}]{' log' if v.get('log') else ''}"
        for k, v in cfg["bayes"].items()
    )
    body = "\n\n".join(parts)
    return f"""\
How much compute does TPE with fold-by-fold pruning need to find a configuration as good as
the best of the thesis' exhaustive LSTM grid? Per data set, in one run: the grid is run
exhaustively (GridSampler, no pruning, one binary model per behaviour, dropout 0.5, Adam
1e-3, as in the thesis), then TPE (8 random start-up trials, multivariate; median pruner
after every fold from the 5th trial on) searches the Bayesian space once per seed. Both are
the package's `Objective` on the same folds and data; the same grid run is compared with
every TPE seed. **Reached** = a complete TPE trial's mean CV PR-AUC is at least
{cfg["tolerance"]:.0%} of the grid's best. A TPE run stops when it reaches, or once it has spent
{cfg["cap"]:.0%} of the grid's epochs (then "not reached"). Compute = every training epoch run,
pruned trials included (the objective's `on_epoch` callback; runs before the schema-2
rewrite counted the same epochs by wrapping `fit_fold`), and CPU seconds of the process
(`time.process_time`, all threads, sampler included).

{target_line(d)}

{body}

**Scale reductions (2-core machine).** The thesis grid is {cfg["thesis_grid"]}, 50 epochs with
patience 5, on 17 videos x 6,600 frames x 2,048-d, leave-one-video-out over 12 training
videos. Here: grid {grid} = {n_grid} configurations (two values per thesis dimension, units
scaled down 4x); Bayesian space = the shipped `lstm_bayes` reduced the same way ({bayes});
at most {cfg["max_epochs"]} epochs, patience {cfg["patience"]}. The epoch cap bites the grid: its
fits ran {caps} of the epochs they could, so with the fixed learning rate of 1e-3 many grid
models were still improving when stopped, whereas TPE may raise the learning rate; with 50
epochs the grid's best would likely be higher and harder to reach. A smaller grid makes the
target harder: {target:.0%} of a {n_grid}-point grid is {target * n_grid:.1f} grid trials of
compute, {target:.0%} of the thesis' 81 points would be {target * 81:.1f}."""


def trial_cost(d: Result) -> str:
    cfg, done = d["config"], [r for r in d["datasets"] if "speedup" in r]

    def met(r: Result) -> bool:
        return r["speedup"] >= d["target"]["value"] and r["score_mbr"] >= r["score_thesis_protocol"]

    rows = [
        f"{r['dataset']} | {r['folds']} | {r['seconds_thesis_protocol']:.0f} "
        f"({r['cpu_seconds_thesis_protocol']:.0f}) | {r['seconds_mbr']:.0f} "
        f"({r['cpu_seconds_mbr']:.0f}) | **{r['speedup']:.2f}x** ({r['speedup_cpu']:.2f}x) | "
        f"{r['score_thesis_protocol']:.4f} | {r['score_mbr']:.4f} | "
        f"{r['epochs_thesis_protocol']} / {r['epochs_mbr']} | "
        f"{r['models_built_thesis_protocol']} / {r['models_built_mbr']} | "
        f"{yes(met(r))}"
        for r in done
    ]
    binary = [
        f"{r['dataset']} | {r['seconds_thesis_protocol']:.0f} "
        f"({r['cpu_seconds_thesis_protocol']:.0f}) | {r['seconds_mbr_binary']:.0f} "
        f"({r['cpu_seconds_mbr_binary']:.0f}) | {r['speedup_mbr_binary']:.2f}x "
        f"({r['speedup_cpu_mbr_binary']:.2f}x) | {r['score_thesis_protocol']:.4f} | "
        f"{r['score_mbr_binary']:.4f} | {r['epochs_thesis_protocol']} / {r['epochs_mbr_binary']}"
        for r in done
    ]
    scales = [
        f"- **{r['dataset']}**: {r.get('scale') or r.get('skipped')}."
        + (f" Data: {r['data_note']}." if "data_note" in r else "")
        for r in d["datasets"]
    ]
    lower = [r["dataset"] for r in done if r["score_mbr"] < r["score_thesis_protocol"]]
    score = (
        f"the one multi-label model scored lower than three binary models on {len(lower)} of "
        f"{len(done)} data sets ({', '.join(lower)}), so the speed came at a price in score "
        "with these settings"
        if lower
        else "the one multi-label model scored at least as well as three binary models"
    )
    notes = f" Stored run: {d['notes']}." if d.get("notes") else ""
    head = (
        "data | folds | thesis protocol s (CPU) | mbr-search s (CPU) | speedup (CPU) | "
        "score thesis | score mbr | epochs thesis / mbr | models built thesis / mbr | target met"
    )
    head2 = (
        "data | thesis protocol s (CPU) | binary, reused s (CPU) | speedup (CPU) | "
        "score thesis | score binary reused | epochs thesis / binary reused"
    )
    scale_lines = "\n".join(scales)
    return f"""\
One trial of the thesis' best LSTM (Table 4.1, experiment 1: seq_len 300, 3 LSTM layers of
64/32/16 units, batch 8, dropout 0.5, Adam 1e-3), on the same folds and data, side by side
in one run. **Thesis protocol**: three binary models, each rebuilt and recompiled for every
fold (`build_group_models`), the fold's sequences (`cut`) held as float32. **mbr-search**:
the unchanged `Objective`, one multi-label model built once and reset between folds (initial
weights back, optimizer state zeroed), float16 sequences from the memory-mapped cache. Both
train with `fit_fold`, at most {cfg["max_epochs"]} epochs with patience {cfg["patience"]} (thesis:
50 / 5). Score = mean PR-AUC over behaviours and folds. Seconds = wall clock of the trial
(CPU seconds in brackets).{notes}

{target_line(d)}

{table(head, rows)}

{scale_lines}

Third arm, same run: mbr-search with `multi_label: false` (three binary models, each built
once per trial and reset between folds, float16): the gain from reuse alone, at the thesis'
model structure.

{table(head2, binary)}

Where the speedup comes from: three binary models train about three times the epochs of one
multi-label model (the epochs column), and every rebuild pays Keras' graph tracing again.
Where the score goes: {score}; `multi_label` is a searched choice in the Bayesian spaces
(`lstm_bayes`, `tcn_bayes`), so a search pays for binary models only where they win. The
"binary, reused" arm has the thesis' model structure and differs from the thesis arm only in
initial weights (one draw per trial, reset each fold, instead of a fresh draw per fold),
float16 instead of float32 inputs and batch order: the gap between those two arms is roughly
the noise of a single trial's score. Per-fold, per-behaviour scores of every arm are in the
JSON."""


def memory(d: Result) -> str:
    c, model = d["config"], d["config"]["model"]
    seqs = -(-c["frames"] // model["seq_len"])
    fold_gib = (c["n_train"] - 1) * seqs * model["seq_len"] * c["dim"] * 2 / 1024**3
    row = (
        f"{d['cache_gb']:.2f} GiB | {d['float32_all_videos_gb']:.2f} / "
        f"{d['float32_training_videos_gb']:.2f} GiB | **{d['peak_rss_gb']:.2f} GiB** | "
        f"{d['peak_rss_gb_one_fold']:.2f} GiB | {d['child_seconds']:.0f} s"
    )
    head = (
        "cache on disk (float16) | as float32 in RAM: all videos / training videos | "
        "peak RSS, 2 folds | peak RSS, 1 fold | run time (2 folds)"
    )
    note = f"\n\nData of this run: {d['data_note']}." if d.get("data_note") else ""
    return f"""\
`mbr-search run` in a child process on a thesis-scale feature set: {c["videos"]} videos x
{c["frames"]:,} frames x {c["dim"]:,}-d float16 in the real feature cache (backbone `resnet50v2`),
{c["n_train"]} training videos, leave-one-video-out, one trial of seq_len {model["seq_len"]}, one
{model["lstm_units"]}-unit LSTM, batch {model["batch_size"]}, multi-label; {c["folds"]} folds of
{c["epochs"]} epoch, and the same with 1 fold (peak memory does not grow with epochs; two folds
show whether a fold's arrays outlive it). Peak RSS = the child's `ru_maxrss` (`os.wait4`).
The script makes the features with the package: `mbr-search demo-data` (synthetic videos)
and `mbr-search embed --backbone resnet50v2 --weights none`.{note}

{target_line(d)}

{table(head, [row])}

Where the memory goes (the sampled RSS timeline is in the JSON): the TensorFlow runtime and
Python (~0.5-0.7 GiB); the training fold cut into float16 sequences ({c["n_train"] - 1} videos x
{seqs} sequences x {model["seq_len"]} frames x {c["dim"]:,} x 2 bytes = {fold_gib:.2f} GiB),
streamed to Keras in shuffled float32 batches (`mbr_search.training.fit.fit_epoch`); the
validation fold and its predictions. Cache pages read through the memory map are released
after each pass over a video (`cache.release_pages`), and each fold's arrays are freed
before the next fold is cut. With 2 folds the peak is
{d["peak_rss_gb"] - d["peak_rss_gb_one_fold"]:.2f} GiB higher than with 1 (TensorFlow's allocator
keeps what it grew)."""


def long_run_memory(d: Result) -> str:
    ref, runs, cfg = d["reference_no_recycling"], d.get("runs", []), d["config"]
    rows = [
        f"`--recycle-after {r['recycle_after']}`{' (never)' if not r['recycle_after'] else ''} | "
        f"{r['trials']} | {r['wall_seconds']:.0f} | **{r['peak_rss_mib']:,.0f} MiB** | "
        f"{mib(r['rss_after_10_mib'])} | {mib(r['rss_after_last_mib'])} | "
        f"{len(r['process_images'])}"
        for r in runs
    ]
    rows.append(
        f"stored reference, one process, no recycling ({ref['date'][:10]}, "
        f"`{ref['code']['commit']}`) | {ref['trials']} | {fmt(ref['wall_seconds'], 0)} | "
        f"{ref['peak_mib']:,.0f} MiB | {ref['rss_after_10_mib']:,.0f} MiB | "
        f"{ref['rss_after_200_mib']:,.0f} MiB | 1"
    )
    head = "run | trials | wall s | peak RSS | RSS after 10 trials | RSS after the last | images"
    recycled = [r for r in runs if r["recycle_after"]]
    images = ""
    for r in recycled:
        img = [
            f"{i + 1} | {'–'.join(map(str, p['trials'])) or '—'} | "
            f"{mib(p['rss_after_first_trial_mib'])} | "
            f"{mib(p['rss_at_end_mib'])} | {mib(p['peak_rss_sampled_mib'])}"
            for i, p in enumerate(r["process_images"])
        ]
        head2 = "image | trials | RSS after its first trial | RSS at its end | peak (sampled)"
        images += (
            f"\n\nEach process image of the `--recycle-after {r['recycle_after']}` run "
            f"(`os.execv` keeps the PID, the image changes):\n\n{table(head2, img)}"
        )
    red, same = d.get("peak_reduction"), [r for r in runs if not r["recycle_after"]]
    reduction = "Not run yet."
    if red:
        reduction = (
            f"With `--recycle-after {red['recycle_after']}` the peak RSS over "
            f"{recycled[0]['trials']} trials was **{red['peak_rss_mib']:,.0f} MiB**, against "
            f"{red['vs_reference_peak_mib']:,.0f} MiB for the stored run without recycling: "
            f"{red['reduction_mib']:,.0f} MiB less ({1 - red['ratio']:.0%} lower)."
        )
    if recycled:
        r, a = recycled[0], recycled[0]["rss_after_trial_mib"]
        grow = [
            (a[p["trials"][1] - 1] - a[p["trials"][0] - 1]) / (p["trials"][1] - p["trials"][0])
            for p in r["process_images"]
            if len(p["trials"]) == 2 and p["trials"][1] > p["trials"][0]
        ]
        n = r["recycle_after"]
        ref_a = ref.get("rss_after_trial_mib") or []
        if grow and len(ref_a) >= n:
            ref_grow = (ref_a[n - 1] - ref_a[0]) / (n - 1)
            reduction += (
                f" Within one process image RSS grew {min(grow):.1f}-{max(grow):.1f} MiB per "
                f"trial here, against {ref_grow:.1f} MiB per trial over the first {n} trials "
                "of the reference: this code grows faster per trial than the reference's, so "
                "the reduction against the same code without recycling would be larger than "
                "the one stated, by an amount not measured here."
                if min(grow) > ref_grow
                else f" Within one process image RSS grew {min(grow):.1f}-{max(grow):.1f} MiB "
                f"per trial here, against {ref_grow:.1f} MiB per trial over the first {n} "
                "trials of the reference."
            )
    if red and same:
        s, rc = same[0], recycled[0]
        reduction += (
            f" In the same run of this script, on the same code, the command with "
            f"`--recycle-after 0` peaked at {s['peak_rss_mib']:,.0f} MiB, so recycling lowered "
            f"the peak by {s['peak_rss_mib'] - rc['peak_rss_mib']:,.0f} MiB "
            f"({1 - rc['peak_rss_mib'] / s['peak_rss_mib']:.0%}); wall time "
            f"{rc['wall_seconds']:.0f} s with recycling, {s['wall_seconds']:.0f} s without."
        )
    return f"""\
One process grows by about {ref["growth_per_100_trials_mib"]:,.0f} MiB per 100 trials of Keras +
TensorFlow despite `clear_session` and `gc.collect()` after every trial (the stored reference
run below). `mbr-search run` therefore continues in a fresh process image every
`--recycle-after` trials (default 50): `os.execv`, same PID, the study resumes from its
storage. This benchmark runs the real command for {cfg["trials"]} trials on the bundled real rat
data ({cfg["data"]}; a 4-16-unit LSTM, {cfg["cv"]}, {cfg["epochs"]} epoch, {cfg["sampler"]}
sampler: the settings of the reference run) and samples the child's RSS every 0.5 s from
`/proc/PID`; "RSS after N trials" is the last sample before trial N's completion time in
the storage; the peak is the child's `ru_maxrss` from `os.wait4`, which spans every image of
the PID.

{target_line(d)}

{reduction}

{table(head, rows)}{images}

The stored reference ran {ref["trials"]} trials of the same study in one process without the
CLI: the previous version of this script called the `Objective` in an `optuna.optimize` loop
and read its own RSS after each trial (its per-trial series is in the JSON under
`reference_no_recycling`). It was measured on an older commit: the same workload, not the
same code. The `--recycle-after 0` row, when present, is the like-for-like comparison."""


def workers(d: Result) -> str:
    rows = [
        f"{r['backend']} | {r['workers']} | {r['trials_finished']} | {r['wall_seconds']:.0f} | "
        f"**{r['trials_per_hour']:.0f}** | {fmt(r['steady_trials_per_hour'], 0)} | "
        f"{r['children_cpu_seconds']:.0f} | {r['load_average_before']:.1f}"
        for r in d["runs"]
    ]
    head = (
        "storage | workers | trials | wall s | trials/hour | steady trials/hour | "
        "CPU-s (children) | load before"
    )
    speed = ", ".join(f"{k}: {v:.2f}x" for k, v in d["speedup_2_workers"].items())
    skipped = f" PostgreSQL: {d['postgresql_skipped']}." if "postgresql_skipped" in d else ""
    return f"""\
The tests' tiny study (bundled real rat data, pose features, 8/16-unit LSTM, multi-label,
grouped 3-fold CV limited to 2 folds of 1 epoch, TPE) run by the real command
`mbr-search run tiny.yaml --trials {d["config"]["trials_per_run"]} --workers W --storage URL
--no-progress` in a child process, one fresh storage per run (a SQLite file; a fresh database
on a throwaway PostgreSQL cluster on 127.0.0.1 started with `tests/_postgres.py`). Trials per
hour = finished trials / wall time of the whole command (start-up and TensorFlow import
included); "steady" = from the first to the last trial completion in the storage.

{target_line(d)}

{table(head, rows)}

Two workers vs one (end to end): {speed}.{skipped} With `--workers 2` each process gets one
intra-op thread (cores / workers), so on a 2-core machine the gain comes from overlapping the
single-threaded parts of a trial (Python, sampling, storage round trips, PR-AUC), and it can
only be measured on an otherwise idle machine: the load column says how idle it was. Each
cell is a single run; when this benchmark was first run, a repeat at 16 trials per run moved
the 2-vs-1 ratios by about 0.3 either way, so differences of that size between the storages
are noise: on 2 cores training limits the rate, not the storage."""


def baseline(d: Result) -> str:
    cfg, behaviours, models = d["config"], d["behaviours"], d["models"]
    rows = []
    for key, m in models.items():
        if "summary" not in m:
            rows.append(f"{m['name']} | {m.get('error', 'failed')}" + " |" * (len(behaviours) + 2))
            continue
        budget = (
            "1 fit per fold and behaviour"
            if key == "hgb"
            else f"{m['budget_trials']} trials ({m['pruned']} pruned)"
        )
        per = " | ".join(fmt(m["summary"]["per_behaviour"][b]) for b in behaviours)
        rows.append(
            f"{m['name']} | {per} | **{m['summary']['mean']:.3f}** | {budget} | "
            f"{m['wall_seconds']:.0f} ({m['cpu_seconds']:.0f})"
        )

    def shown(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    best = "\n".join(
        f"- {m['name']}: best trial #{m['best_trial']} ("
        + ", ".join(f"{k}={shown(v)}" for k, v in sorted(m["best_params"].items()))
        + ")"
        for k, m in models.items()
        if k != "hgb" and "best_params" in m
    )
    pairs = ", ".join(f"{b}: {n}" for b, n in d["scored_pairs"].items())
    hgb = models["hgb"]
    if "windows_seconds" in cfg:
        windows = (
            f"{', '.join(map(str, cfg['windows_seconds']))} s (the package's `features.windows`)"
        )
    else:
        windows = f"{', '.join(map(str, cfg['windows']))} frames"
    notes = f" Stored run: {d['notes']}." if d.get("notes") else ""
    head = f"model | {' | '.join(behaviours)} | mean | budget | wall s (CPU s)"
    scale = d["scale"][:1].upper() + d["scale"][1:]
    return f"""\
{scale}. Per behaviour: mean PR-AUC over the leave-one-video-out folds, on the
(fold, behaviour) pairs every model could be scored on ({pairs} folds; a fold is skipped for a
behaviour with no positive frame in its training or validation videos). All models see the
same folds, frames and labels, in one run.

- **HistGradientBoosting** (scikit-learn defaults, `class_weight="balanced"`, early stopping
  on a 10 % random split of its training frames), one binary model per behaviour, on
  {hgb["n_features"]} SimBA-style features: each pose feature plus its mean / std / min / max
  over centred windows of {windows}, fitted on every
  {cfg["stride"]}nd training frame (consecutive frames at 10 fps are near duplicates) and scored on
  every validation frame.
- **mbr-search LSTM / TCN**: the package's `Objective` with TPE + median pruning over the
  shipped `lstm_pose` / `tcn_pose` spaces, {cfg["budget"]} trials each, at most
  {cfg["max_epochs"]} epochs (patience {cfg["patience"]}) per fold; the row is the best trial.

{target_line(d)}

{table(head, rows)}

{best}

Caveats: the deep rows are the best of {cfg["budget"]} trials chosen on these same folds (a mild
optimistic selection bias the single boosting fit does not have); test videos are not used.
Scale reduced for the 2-core machine: {cfg["videos"]} of the 15 training videos, the first
{cfg["frames"]} frames of each, at most {cfg["max_epochs"]} epochs instead of 50. The models ran
one after another on a shared machine, so read the time columns as orders of magnitude, not
as a ratio; the window features themselves took {hgb["feature_seconds"]:.1f} s.{notes}"""


def embed(d: Result) -> str:
    c, target = d["config"], d["target"]["value"]
    rows = [
        f"{r['backbone']} | {r['input_size']} | {r['frames']} | {r['pure_predict_fps']:.1f} | "
        f"{r['batch_loop_fps']:.1f} | {r['end_to_end_fps']:.1f} | {r['ratio']:.2f} | "
        f"{r['ratio_vs_batch_loop']:.2f} | {yes(r['meets_target'])}"
        for r in d["results"]
    ]
    head = (
        "backbone | px | frames | `model.predict` f/s | batch loop f/s | end to end f/s | "
        f"ratio | ratio vs loop | >= {target}"
    )
    return f"""\
End-to-end frames/s of the embedding pipeline (`embed_video`: decode the real 640x480, 30 fps
open-field video `{c["video"]}`, resample to {c["fps"]:g} fps, crop 200 px on the pose
centroid, resize, preprocess on the background thread, batched inference, float16 cache
write) versus pure `model.predict` on the same frames already cropped and preprocessed in
memory, with the same model object in the same run, timed alternately; medians of
{c["repeats"]} runs after a warm-up. Weights `none` (random): speed does not depend on their
values. "batch loop" is a second pure-inference reference: `model.predict_on_batch` over the
in-memory frames, the call the pipeline itself makes; "ratio" is end to end / `model.predict`.

{target_line(d)}

{table(head, rows)}"""


def headline(name: str, d: Result) -> str:
    """The measured numbers of one benchmark, in one cell of the summary table."""
    if name == "search_efficiency":
        return "<br>".join(
            f"{ds['dataset']}: CPU-s ratios "
            + ", ".join(fmt(r["ratio_seconds"], 2) for r in ds["seeds"])
            for ds in d["datasets"]
            if ds.get("seeds")
        )
    if name == "trial_cost":
        return "; ".join(
            f"{r['dataset']}: {r['speedup']:.2f}x, score {r['score_thesis_protocol']:.3f} → "
            f"{r['score_mbr']:.3f}"
            for r in d["datasets"]
            if "speedup" in r
        )
    if name == "memory":
        return f"{d['peak_rss_gb']:.2f} GiB (2 folds), {d['peak_rss_gb_one_fold']:.2f} GiB (1 fold)"
    if name == "long_run_memory":
        runs = [
            f"recycle-after {r['recycle_after']}: {r['peak_rss_mib']:,.0f} MiB" for r in d["runs"]
        ]
        return "; ".join(
            [*runs, f"stored, no recycling: {d['reference_no_recycling']['peak_mib']:,.0f} MiB"]
        )
    if name == "workers":
        return "; ".join(
            f"{r['backend']} x{r['workers']}: {r['trials_per_hour']:.0f}/h" for r in d["runs"]
        )
    if name == "baseline":
        means = [
            f"{m['name']}: {m['summary']['mean']:.3f}"
            for m in d["models"].values()
            if "summary" in m
        ]
        return "mean PR-AUC " + "; ".join(means)
    return "; ".join(f"{r['backbone']}: ratio {r['ratio']:.2f}" for r in d["results"])


RENDER: dict[str, Callable[[Result], str]] = {
    "search_efficiency": search_efficiency,
    "trial_cost": trial_cost,
    "memory": memory,
    "long_run_memory": long_run_memory,
    "workers": workers,
    "baseline": baseline,
    "embed": embed,
}


def render(results: dict[str, Result | None]) -> str:
    rows, sections = [], []
    for name, title in TITLES.items():
        d, anchor = results.get(name), name.replace("_", "-")
        if d is None:
            rows.append(f"{name} | — | not run | — | —")
            sections.append(
                f"## {title}\n\nNo results yet: `{_bench.PYTHON} benchmarks/{name}.py`."
            )
            continue
        t, code = d["target"], d.get("code") or {}
        met = t.get("met_runs", yes(t.get("met")))
        when = f"{d['date'][:10]}, `{code.get('commit') or '?'}`"
        rows.append(
            f"[{name}](#{anchor}) | {t['statement']} | {headline(name, d)} | {met} | {when}"
        )
        quick = QUICK if d["config"].get("quick") else ""
        sections.append(
            f'<a id="{anchor}"></a>\n\n## {title}\n\n{quick}{RENDER[name](d)}\n\n{provenance(d)}'
        )
    intro = f"""\
# Benchmarks

<!-- Generated by benchmarks/summary.py from benchmarks/results/*.json: do not edit by hand. -->

Each benchmark is one script in `benchmarks/` that calls the package (or its CLI) and writes
`benchmarks/results/NAME.json`: the numbers, the exact command, the machine, the load and the
git commit it started from. This page is rendered from those files by
`{_bench.PYTHON} benchmarks/summary.py`. Every number was measured on a shared 2-core machine
without a GPU, at the reduced scale stated in each section. Results converted from an earlier
version of the scripts say so in their provenance line (date, commit, which script measured
them); their synthetic-data rows used a generator that has since been replaced by the
package's `mbr-search demo-data` + `mbr-search embed`, so a re-run will give different
synthetic numbers.

{table("benchmark | target | measured | met | measured (date, commit)", rows)}"""
    return "\n\n".join([intro, *sections]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args()
    results = {}
    for name in TITLES:
        path = _bench.RESULTS / f"{name}.json"
        results[name] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    text = render(results)
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run benchmarks/summary.py", file=sys.stderr)
            return 1
        return 0
    from mbr_search.features.cache import write_text_atomic

    write_text_atomic(DOC, text)
    print(f"wrote {DOC.relative_to(_bench.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
