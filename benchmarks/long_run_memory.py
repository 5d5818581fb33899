"""Benchmark: RSS of one long ``mbr-search run`` (200 small trials), with process recycling.

Keras + TensorFlow grow by ~12 MiB per trial in one process despite ``clear_session``, so
``mbr-search run --recycle-after N`` continues in a fresh process image (``os.execv``: same
PID, the study resumes from its storage) every N trials. This runs the real command

    mbr-search run long.yaml --trials 200 --recycle-after N --storage sqlite:///... --no-progress

from a ``git archive`` snapshot of the committed package (the working tree may be mid-edit),
on the bundled real rat data (pose features, 4-16-unit LSTM, 1 fold of 1 epoch, random
sampler: the settings of the stored no-recycling run) and samples the child's VmRSS every
0.5 s from /proc/PID; a new randomised heap address marks a new process image. RSS after
each trial is the last sample before the trial's completion time in the storage. Peak = the child's
``ru_maxrss`` (``os.wait4``: it spans all images of the PID).

    .venv/bin/python benchmarks/long_run_memory.py                  # --arms 50: 20-35 min
    .venv/bin/python benchmarks/long_run_memory.py --arms 50,0      # and without recycling
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench
from _bench import MIB

SPACE = {
    "name": "long_run",
    "model": "lstm",
    "params": {
        "lstm_units": {"type": "int", "low": 4, "high": 16},
        "learning_rate": {"type": "float", "low": 1.0e-3, "high": 1.0e-2, "log": True},
    },
    "fixed": {
        "seq_len": 150,
        "batch_size": 16,
        "lstm_layers": 1,
        "dropout": 0.1,
        "multi_label": True,
    },
}
#: the stored run without recycling: 200 trials in one process (in-process Objective loop,
#: RSS read after each trial), commit 0bf971b, 2026-11-24 (results/long_run_memory.json)
REFERENCE = {
    "date": "2026-11-24 07:30 UTC",
    "code": {"commit": "0bf971b"},
    "trials": 200,
    "wall_seconds": 945.1,
    "rss_after_10_mib": 883.3,
    "rss_after_200_mib": 3125.2,
    "peak_mib": 3125.2,
    "growth_per_100_trials_mib": 1179.9,
}


def reference() -> dict[str, Any]:
    """The stored no-recycling run, carried over from the results file it was written to."""
    path = _bench.ROOT / "benchmarks" / "results" / "long_run_memory.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return old.get("reference_no_recycling") or {**REFERENCE, "missing": "series not found"}


def study_file(folder: Path) -> Path:
    _bench.write_yaml(folder / "space.yaml", SPACE)
    return _bench.write_yaml(
        folder / "long.yaml",
        {
            "name": "long_run_memory",
            "dataset": str(_bench.RAT_MINI),
            "behaviours": ["social", "nonsocial", "aggression"],
            "fps": 10,
            "features": {"backbone": "pose"},
            "space": "space.yaml",
            "cv": {"scheme": "group_kfold", "k": 3, "max_folds": 1, "promote": 0},
            "sampler": {"name": "random"},
            "pruner": {"name": "none"},
            "training": {"max_epochs": 1, "patience": 1},
            "seed": 0,
        },
    )


def completions(storage: str) -> list[float]:
    """Unix times at which the study's finished trials completed, in order."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    trials = optuna.load_study(study_name="long_run_memory", storage=storage).get_trials()
    done = [t.datetime_complete.timestamp() for t in trials if t.datetime_complete]
    return sorted(done)


def analyse(samples: list[tuple[float, int, int]], ends: list[float]) -> dict[str, Any]:
    """Per-trial RSS and one entry per process image (sampled image id changes at execv)."""
    images: list[list[tuple[float, int, int]]] = [[]]
    for s in samples:
        if images[-1] and s[2] != images[-1][-1][2]:
            images.append([])
        images[-1].append(s)
    after = []
    for end in ends:
        before = [s for s in samples if s[0] <= end]
        after.append(round((before[-1] if before else samples[0])[1] / MIB, 1))
    t0 = samples[0][0]
    per_image = []
    for img in images:
        trials = [i + 1 for i, e in enumerate(ends) if img[0][0] <= e <= img[-1][0]]
        first = next((after[t - 1] for t in trials), None)
        per_image.append(
            {
                "start_seconds": round(img[0][0] - t0, 1),
                "end_seconds": round(img[-1][0] - t0, 1),
                "trials": [trials[0], trials[-1]] if trials else [],
                "rss_after_first_trial_mib": first,
                "rss_at_end_mib": round(img[-1][1] / MIB, 1),
                "peak_rss_sampled_mib": round(max(s[1] for s in img) / MIB, 1),
            }
        )
    return {"rss_after_trial_mib": after, "images": per_image}


def run_arm(folder: Path, trials: int, recycle_after: int, code: Path) -> dict[str, Any]:
    folder.mkdir(parents=True)
    storage = f"sqlite:///{folder / 'long.db'}"
    args = [
        "run",
        str(study_file(folder)),
        "--trials",
        str(trials),
        "--storage",
        storage,
        "--no-progress",
        "--recycle-after",
        str(recycle_after),
        "--cache-dir",
        str(folder / "cache"),
    ]
    env = {**os.environ, "MBR_SEARCH_HOME": str(folder / "home"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    print(f"recycle-after {recycle_after}: mbr-search {' '.join(args)}", flush=True)
    child = _bench.run_measured(
        [sys.executable, "-m", "mbr_search", *args], env, interval=0.5, cwd=code
    )
    ends = completions(storage)
    shape = analyse(child["samples"], ends)
    after = shape["rss_after_trial_mib"]
    peak = child["peak_rss_bytes"] / MIB
    print(
        f"  {len(ends)} trials in {child['seconds']:.0f} s, peak {peak:.0f} MiB, "
        f"{len(shape['images'])} process images",
        flush=True,
    )
    t0 = child["samples"][0][0]
    step = max(1, len(child["samples"]) // 400)
    return {
        "recycle_after": recycle_after,
        "command": f"mbr-search {' '.join(args)}".replace(str(folder), "TMP"),
        "trials": len(ends),
        "wall_seconds": child["seconds"],
        "peak_rss_mib": round(peak, 1),
        "peak_rss_sampled_mib": round(max(s[1] for s in child["samples"]) / MIB, 1),
        "rss_after_10_mib": after[9] if len(after) >= 10 else None,
        "rss_after_last_mib": after[-1] if after else None,
        "process_images": shape["images"],
        "rss_after_trial_mib": after,
        "rss_timeline_s_mib": [
            [round(s[0] - t0, 1), round(s[1] / MIB, 1)] for s in child["samples"][::step]
        ],
        "output_tail": child["output"][-1500:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--arms", default="50", help="--recycle-after values, e.g. 50,0")
    args = parser.parse_args()
    arms = [int(a) for a in args.arms.split(",")]
    started = time.perf_counter()
    report = _bench.header(
        "long_run_memory",
        trials=args.trials,
        space=SPACE,
        data="datasets/rat_social_mini (8 real rat-pair videos, pose)",
        cv="group_kfold k=3, 1 fold",
        epochs=1,
        sampler="random",
    )
    with tempfile.TemporaryDirectory(prefix="mbr-bench-longrun-") as tmp:
        code = Path(tmp) / "code"
        report["code"] = _bench.snapshot(code)
        report["runs"] = [run_arm(Path(tmp) / f"r{n}", args.trials, n, code) for n in arms]
    ref = report["reference_no_recycling"] = reference()
    recycled = [r for r in report["runs"] if r["recycle_after"]]
    if recycled:
        r = recycled[0]
        report["peak_reduction"] = {
            "recycle_after": r["recycle_after"],
            "peak_rss_mib": r["peak_rss_mib"],
            "vs_reference_peak_mib": ref["peak_mib"],
            "reduction_mib": round(ref["peak_mib"] - r["peak_rss_mib"], 1),
            "ratio": round(r["peak_rss_mib"] / ref["peak_mib"], 3),
        }
    verdict = "; ".join(
        f"--recycle-after {r['recycle_after']}: peak {r['peak_rss_mib']:.0f} MiB over "
        f"{r['trials']} trials in {len(r['process_images'])} process image(s)"
        for r in report["runs"]
    )
    report["target"] = {
        "statement": "measure and record the peak RSS of 200 trials with recycling (no number set)",
        "value": None,
        "met": None,
        "verdict": f"{verdict}; stored run without recycling: {ref['peak_mib']:.0f} MiB.",
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
