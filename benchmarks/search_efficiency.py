"""Benchmark: the thesis' full 81-point LSTM grid against TPE and random search with the
multi-fidelity pruner, and TPE without pruning, on real rat pose features.

- **Grid** (the thesis protocol): seq_len {300, 600, 1650} x lstm_layers {1, 2, 3} x
  lstm_units {64, 128, 256} (halving per layer) x batch_size {8, 16, 32}, dropout 0.5,
  Adam 1e-3, every point run with GridSampler and no pruning. Reductions, to fit 2 cores:
  the first 3 training videos (leave-one-video-out: 3 folds), their first 3,300 frames at
  10 fps (5.5 min, two seq_len 1650 sequences), at most 6 epochs (patience 3), and one
  multi-label model per trial instead of one binary model per behaviour.
  It runs in 9 chunks (one GridSampler per seq_len x layers, 9 points each), each a part
  file in ``--work``, so a killed run resumes at the chunk it was in.
- **Arms**, each over the same 81 points (categorical) on the same folds and data, 3 seeds:
  ``tpe_mf`` (TPE + hyperband over epochs of the first fold then folds), ``tpe_mf_value``
  (the same, pruned trials completed by value), ``random_mf`` (random + hyperband) and
  ``tpe_none`` (TPE, no pruning); and ``tpe_median`` (TPE + the median pruner after every
  fold, the shipped studies' default, to choose the default by measurement). An arm stops
  when a complete all-fold trial reaches TOLERANCE of the grid's best, or when it has spent
  CAP of the grid's CPU seconds.
- **Reuse**: 6 configurations (2 architectures x 3 batch sizes) run twice, sharing compiled
  models and sequences across trials (the default) and sharing nothing.

Everything is the package's ``Objective`` with the study's own sampler and pruner; epochs
come from its ``on_epoch`` callback and CPU seconds from the process (one thread per
process: run parts side by side on the 2 cores with ``--parts``).

    .venv/bin/python benchmarks/search_efficiency.py [--parts grid,arms,reuse] [--work DIR]
        [--videos 3] [--frames 3300] [--epochs 6] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_var, "1")

import _bench  # noqa: E402  (after the thread settings: TensorFlow reads them once)
import rat_dataset  # noqa: E402
from _search_parts import assemble, best_so_far, plot  # noqa: E402

GRID = {
    "seq_len": [300, 600, 1650],
    "lstm_layers": [1, 2, 3],
    "lstm_units": [64, 128, 256],
    "batch_size": [8, 16, 32],
}
#: one multi-label model per trial, not the thesis' binary model per behaviour: a third of
#: the compute, which is what lets the whole grid and 12 arm runs fit (stated in the doc)
FIXED = {"dropout": 0.5, "learning_rate": 0.001, "multi_label": True}
TPE = {"name": "tpe", "n_startup_trials": 8, "multivariate": True}
ARMS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "tpe_mf": (TPE, {"name": "hyperband"}),
    "tpe_mf_value": (TPE, {"name": "hyperband", "pruned_as": "value"}),
    "random_mf": ({"name": "random"}, {"name": "hyperband"}),
    "tpe_none": (TPE, {"name": "none"}),
    # the shipped studies' pruner (median after every fold, package defaults), for the choice
    "tpe_median": (TPE, {"name": "median"}),
}
#: "reached" = a complete all-fold trial scores at least this fraction of the grid's best
TOLERANCE = 0.99
#: an arm stops once it has spent this fraction of the grid's CPU seconds
#: (the first arm runs stopped at 0.5; assembly cuts every arm at CAP, the same for all)
CAP = 0.3
REUSE_CONFIGS = [
    {"seq_len": 300, "lstm_layers": 2, "lstm_units": u, "batch_size": b}
    for u in (64, 128)
    for b in (8, 16, 32)
]


HOW_RUN = (
    "in parts with --parts, side by side on 2 cores that also ran the test suite and another "
    "benchmark, one thread per process: the 9 grid chunks and the reuse part in 2 processes; "
    "the arms in 3 processes, then 3 more took over the seeds not yet started (the first "
    "three arm runs stopped at 50% of the grid's CPU seconds, the rest at 30%; assembly cuts "
    "all at 30%); then --parts '' assembled them. CPU seconds are each process's own, "
    "comparable across parts; wall times are not"
)


def chunks() -> list[tuple[int, int]]:
    return list(itertools.product(GRID["seq_len"], GRID["lstm_layers"]))


def space(name: str, values: dict[str, list[int]]) -> dict[str, Any]:
    params = {k: {"type": "categorical", "choices": v} for k, v in values.items()}
    return {"name": name, "model": "lstm", "fixed": FIXED, "params": params}


def study(args: argparse.Namespace, sp: dict, sampler: dict, pruner: dict, seed: int) -> Any:
    from mbr_search.config.study import load_study

    folder = args.work / "studies"
    _bench.write_yaml(folder / f"{sp['name']}.yaml", sp)
    path = _bench.write_yaml(
        folder / f"study_{sp['name']}_{sampler['name']}_{seed}.yaml",
        {
            "name": "bench_search_efficiency",
            "dataset": str(rat_dataset.build_rat_dataset(args.work / "rat")),
            "behaviours": list(rat_dataset.BEHAVIOURS),
            "fps": 10,
            "features": {"backbone": "pose"},
            "space": f"{sp['name']}.yaml",
            "cv": {"scheme": "leave_one_video_out"},
            "sampler": sampler,
            "pruner": pruner,
            "seed": seed,
            "training": {"max_epochs": args.epochs, "patience": args.patience},
        },
    )
    return load_study(str(path), cache_dir=args.work / "cache")


def data(args: argparse.Namespace, cfg: Any) -> tuple[list[Any], list[Any]]:
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import video_folds

    videos = _bench.trim(load_split(cfg, "train")[: args.videos], args.frames)
    return videos, video_folds(videos, cfg.cv, 0)


def write_part(args: argparse.Namespace, name: str, part: dict[str, Any]) -> None:
    from mbr_search.features.cache import write_text_atomic

    part |= {"part": name, "date": _bench.now(), "code": _bench.git_code()}
    path = args.work / "parts" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(part, indent=1, default=_bench._jsonable) + "\n")
    print(f"[{name}] written", flush=True)


def read_parts(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    folder = args.work / "parts"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return {p.stem: json.loads(p.read_text()) for p in files}


def run_grid_chunk(args: argparse.Namespace, seq_len: int, layers: int) -> None:
    values = {**GRID, "seq_len": [seq_len], "lstm_layers": [layers]}
    cfg = study(args, space(f"grid_{seq_len}_{layers}", values), {"name": "grid"},
                {"name": "none"}, 0)  # fmt: skip
    videos, folds = data(args, cfg)
    print(f"[grid] seq_len {seq_len}, {layers} layer(s): 9 points", flush=True)
    rows = _bench.search(cfg, videos, folds, n_trials=cfg.space.grid_size())
    write_part(args, f"grid_{seq_len}_{layers}", {"rows": rows, "folds": len(folds)})


def run_arm(args: argparse.Namespace, arm: str, seed: int, grid: dict[str, Any]) -> None:
    sampler, pruner = ARMS[arm]
    cfg = study(args, space("thesis_grid", GRID), sampler, pruner, seed)
    videos, folds = data(args, cfg)
    threshold, cap = TOLERANCE * grid["best"], CAP * grid["cpu_seconds"]

    def stop(rows: list[dict[str, Any]]) -> bool:
        r = rows[-1]
        full = r["state"] == "COMPLETE" and r["folds_run"] == len(folds) and not r["pruned_at"]
        return (full and r["value"] >= threshold) or r["cum_cpu_seconds"] >= cap

    print(f"[{arm}] seed {seed}: to {threshold:.4f} or {cap:.0f} cpu-s", flush=True)
    rows = _bench.search(cfg, videos, folds, n_trials=200, stop=stop)
    write_part(args, f"{arm}_{seed}", {"rows": rows, "threshold": threshold, "cap": cap})


def run_reuse(args: argparse.Namespace) -> None:
    from mbr_search.training.reuse import Reuse

    out: dict[str, Any] = {}
    for name, reuse in (("shared", Reuse()), ("nothing", Reuse.nothing())):
        cfg = study(args, space("thesis_grid", GRID), {"name": "random"}, {"name": "none"}, 0)
        videos, folds = data(args, cfg)
        rows = _bench.search(cfg, videos, folds, n_trials=len(REUSE_CONFIGS),
                             enqueue=REUSE_CONFIGS, reuse=reuse)  # fmt: skip
        out[name] = {
            "rows": rows,
            "models_built": reuse.models.built,
            "models_reused": reuse.models.reused,
            "sequence_hits": reuse.sequences.hits,
            "sequence_misses": reuse.sequences.misses,
        }
    write_part(args, "reuse", out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = "grid, grid_SEQ_LAYERS, arms, ARM, ARM_SEED, reuse; '' only assembles"
    parser.add_argument("--parts", default="grid,arms,reuse", help=what)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mbr-bench-se"))
    parser.add_argument("--videos", type=int, default=3, help="first N training videos")
    parser.add_argument("--frames", type=int, default=3300, help="first N 10 fps frames")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    seeds = [int(s) for s in args.seeds.split(",")]
    wanted = [p.strip() for p in args.parts.split(",") if p.strip()]
    done = read_parts(args)
    for seq_len, layers in chunks():
        name = f"grid_{seq_len}_{layers}"
        if name not in done and ("grid" in wanted or name in wanted):
            run_grid_chunk(args, seq_len, layers)
    if "reuse" in wanted and "reuse" not in done:
        run_reuse(args)
    for arm, seed in itertools.product(ARMS, seeds):
        name = f"{arm}_{seed}"
        if name in done or not ({"arms", arm, name} & set(wanted)):
            continue
        grid = assemble(read_parts(args), ARMS, seeds, TOLERANCE, CAP)["grid"]
        if grid is None:
            print(f"[{name}] needs every grid chunk first", file=sys.stderr)
            return 1
        run_arm(args, arm, seed, grid)
    settings = {
        "videos": args.videos, "frames": args.frames, "max_epochs": args.epochs,
        "patience": args.patience, "seeds": seeds, "grid": GRID, "fixed": FIXED,
        "arms": {a: {"sampler": s, "pruner": p} for a, (s, p) in ARMS.items()},
        "tolerance": TOLERANCE, "cap": CAP, "work": str(args.work),
    }  # fmt: skip
    report = _bench.header("search_efficiency", **settings)
    # The measured command: parts run side by side are one benchmark, assembled last.
    report["command"] = f"{_bench.PYTHON} benchmarks/search_efficiency.py --work {args.work}"
    report["how_run"] = HOW_RUN
    report |= assemble(read_parts(args), ARMS, seeds, TOLERANCE, CAP)
    if report["grid"] is not None:
        report["plot"] = plot(best_so_far(report), _bench.ROOT / "docs" / "search_efficiency.html")
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
