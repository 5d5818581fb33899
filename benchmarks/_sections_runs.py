"""The run benchmarks' sections of docs/benchmarks.md (memory, long runs, workers,
baseline, embedding speed). Fixed prose; every number comes from the JSON."""

from __future__ import annotations

from typing import Any

from _fmt import Result, fmt, mib, table, target_line, yes


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
