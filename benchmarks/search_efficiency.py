"""Benchmark: the thesis' exhaustive LSTM grid versus TPE with fold pruning.

For each data set, in one run: the (reduced) thesis LSTM grid is run exhaustively with
GridSampler and no pruning, as the thesis did (binary model per behaviour, dropout 0.5,
Adam 1e-3); then TPE with median pruning after every fold searches the (equally reduced)
Bayesian space ``lstm_bayes``, once per seed, until a complete trial reaches TOLERANCE of the
grid's best cross-validation score, or until it has spent CAP of the grid's epochs. Both are
the package's ``Objective`` with the study's own sampler and pruner; compute is counted in
training epochs (the objective's ``on_epoch`` callback) and CPU seconds of the process.

    .venv/bin/python benchmarks/search_efficiency.py [--datasets rat,synthetic] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench
import rat_dataset

#: "reached" = a complete TPE trial scores at least this fraction of the grid's best
TOLERANCE = 0.99
#: TPE stops when reached, or once its epochs reach this fraction of the grid's epochs
CAP = 0.5
TARGET = 0.20
CONFIG: dict[str, Any] = {
    "max_epochs": 8,
    "patience": 3,
    "grid": {
        "seq_len": [150, 300],
        "lstm_layers": [1, 2],
        "lstm_units": [16, 64],
        "batch_size": [8, 32],
    },
    "grid_fixed": {"dropout": 0.5, "learning_rate": 0.001, "multi_label": False},
    "bayes": {
        "seq_len": {"type": "categorical", "choices": [75, 150, 300]},
        "lstm_layers": {"type": "int", "low": 1, "high": 2},
        "lstm_units": {"type": "int", "low": 8, "high": 64, "log": True},
        "batch_size": {"type": "categorical", "choices": [8, 16, 32]},
        "learning_rate": {"type": "float", "low": 1.0e-4, "high": 1.0e-2, "log": True},
        "dropout": {"type": "float", "low": 0.0, "high": 0.6},
        "bidirectional": {"type": "categorical", "choices": [False, True]},
        "multi_label": {"type": "categorical", "choices": [True, False]},
    },
    "tpe_sampler": {"name": "tpe", "n_startup_trials": 8, "multivariate": True},
    "tpe_pruner": {"name": "median", "n_startup_trials": 4, "n_warmup_steps": 0},
    "synthetic": {"videos": 17, "frames": 600, "k": 4},
    "rat": {"train_videos": 5, "frames": 1500},
    "max_tpe_trials": 80,
}
#: --quick: a smoke test of the script (minutes), not a measurement
QUICK = {
    "max_epochs": 1,
    "patience": 1,
    "grid": {"seq_len": [150], "lstm_layers": [1], "lstm_units": [8, 16], "batch_size": [16]},
    "synthetic": {"videos": 5, "frames": 150, "k": 2},
    "rat": {"train_videos": 3, "frames": 300},
    "max_tpe_trials": 2,
}
THESIS_GRID = (
    "seq_len {300, 600, 1650} x lstm_layers {1, 2, 3} x lstm_units {64, 128, 256} "
    "x batch_size {8, 16, 32} (81)"
)


def prepare(name: str, cfg: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Manifest, features, CV and trimming of one data set."""
    cache = tmp / "cache"
    if name == "synthetic":
        s = cfg["synthetic"]
        manifest = _bench.demo_embedded(
            tmp / "demo", cache, videos=s["videos"], frames=s["frames"], home=tmp / "home"
        )
        return {
            "manifest": manifest,
            "cache": cache,
            "keep": None,
            "frames": None,
            "features": {"backbone": "resnet50v2", "weights": "none"},
            "behaviours": ["grooming", "mid_rearing", "wall_rearing"],
            "cv": {"scheme": "group_kfold", "k": s["k"]},
            "scale": f"{s['videos']} synthetic videos (mbr-search demo-data) x "
            f"{s['frames']} frames, ResNet50V2 embeddings (random weights, 2,048-d) at 10 fps;"
            f" CV: {s['k']} folds grouped by video over the training videos",
        }
    s = cfg["rat"]
    return {
        "manifest": rat_dataset.build_rat_dataset(tmp / "rat"),
        "cache": cache,
        "keep": s["train_videos"],
        "frames": s["frames"],
        "features": {"backbone": "pose"},
        "behaviours": ["social", "nonsocial", "aggression"],
        "cv": {"scheme": "leave_one_video_out"},
        "scale": f"real rat pairs, pose features (94-d); the first {s['train_videos']} "
        f"training videos of the 15 (by number), first {s['frames']} frames each at 10 fps "
        f"({s['frames'] / 600:g} min); leave-one-video-out ({s['train_videos']} folds)",
    }


def study(
    tmp: Path, data: dict, cfg: dict, space: dict, sampler: dict, pruner: dict, seed: int
) -> Any:
    from mbr_search.config.study import load_study

    tag = f"{space['name']}_{seed}"
    _bench.write_yaml(tmp / f"{space['name']}.yaml", space)
    path = _bench.write_yaml(
        tmp / f"study_{tag}.yaml",
        {
            "name": "bench_search_efficiency",
            "dataset": str(data["manifest"]),
            "behaviours": data["behaviours"],
            "fps": 10,
            "features": data["features"],
            "space": f"{space['name']}.yaml",
            "cv": data["cv"],
            "sampler": sampler,
            "pruner": pruner,
            "seed": seed,
            "training": {"max_epochs": cfg["max_epochs"], "patience": cfg["patience"]},
        },
    )
    return load_study(str(path), cache_dir=data["cache"])


def tpe_row(tpe: list[dict], grid: dict[str, Any], seed: int, threshold: float) -> dict:
    hit = next((r for r in tpe if r["state"] == "COMPLETE" and r["value"] >= threshold), None)
    top = _bench.best(tpe)
    return {
        "seed": seed,
        "grid_best": grid["best"],
        "grid_epochs": grid["epochs"],
        "grid_seconds": grid["cpu_seconds"],
        "reached": hit is not None,
        "tpe_epochs_to_reach": hit["cum_epochs"] if hit else None,
        "tpe_seconds_to_reach": hit["cum_cpu_seconds"] if hit else None,
        "ratio_epochs": round(hit["cum_epochs"] / grid["epochs"], 3) if hit else None,
        "ratio_seconds": round(hit["cum_cpu_seconds"] / grid["cpu_seconds"], 3) if hit else None,
        "tpe_trials_to_reach": tpe.index(hit) + 1 if hit else None,
        "tpe_trials_run": len(tpe),
        "tpe_pruned": sum(r["state"] == "PRUNED" for r in tpe),
        "tpe_epochs_spent": tpe[-1]["cum_epochs"] if tpe else 0,
        "tpe_seconds_spent": tpe[-1]["cum_cpu_seconds"] if tpe else 0.0,
        "tpe_best": round(top["value"], 4) if top else None,
        "tpe_trials": tpe,
    }


def bench_dataset(name: str, cfg: dict[str, Any], seeds: list[int], tmp: Path) -> dict:
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import make_folds

    t0, load0 = time.perf_counter(), round(os.getloadavg()[0], 2)
    data = prepare(name, cfg, tmp)
    grid_space = {
        "name": "lstm_grid_reduced",
        "model": "lstm",
        "fixed": cfg["grid_fixed"],
        "params": {k: {"type": "categorical", "choices": v} for k, v in cfg["grid"].items()},
    }
    bayes_space = {"name": "lstm_bayes_reduced", "model": "lstm", "params": cfg["bayes"]}
    grid_cfg = study(tmp, data, cfg, grid_space, {"name": "grid"}, {"name": "none"}, 0)
    videos = load_split(grid_cfg, "train")[: data["keep"]]
    videos = _bench.trim(videos, data["frames"])
    # The same folds for every search (group_kfold's shuffle depends on the seed: fix it).
    folds = make_folds([v.id for v in videos], grid_cfg.cv, 0)
    n_grid = grid_cfg.space.grid_size()
    print(f"[{name}] {data['scale']}; grid of {n_grid}", flush=True)
    rows = _bench.search(grid_cfg, videos, folds, n_trials=n_grid)
    top = _bench.best(rows)
    assert top is not None, "no complete grid trial"
    grid = {
        "best": round(top["value"], 4),
        "best_params": top["params"],
        "epochs": rows[-1]["cum_epochs"],
        "cpu_seconds": rows[-1]["cum_cpu_seconds"],
        "wall_seconds": rows[-1]["cum_wall_seconds"],
        "trials": rows,
    }
    threshold = TOLERANCE * top["value"]

    def stop(tpe: list[dict[str, Any]]) -> bool:
        r = tpe[-1]
        reached = r["state"] == "COMPLETE" and r["value"] >= threshold
        return reached or r["cum_epochs"] >= CAP * grid["epochs"]

    per_seed = []
    for seed in seeds:
        print(f"[{name}] TPE seed {seed}", flush=True)
        tpe_cfg = study(tmp, data, cfg, bayes_space, cfg["tpe_sampler"], cfg["tpe_pruner"], seed)
        tpe = _bench.search(tpe_cfg, videos, folds, n_trials=cfg["max_tpe_trials"], stop=stop)
        per_seed.append(tpe_row(tpe, grid, seed, threshold))
    return {
        "dataset": name,
        "scale": data["scale"],
        "folds": len(folds),
        "videos": [v.id for v in videos],
        "grid_configurations": n_grid,
        "grid": grid,
        "seeds": per_seed,
        "date": _bench.now(),
        "load_average_start": load0,
        "load_average_end": round(os.getloadavg()[0], 2),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def target(datasets: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [r for ds in datasets for r in ds.get("seeds", [])]
    reached = [r for r in rows if r["reached"]]
    met = [r for r in reached if max(r["ratio_epochs"], r["ratio_seconds"]) <= TARGET]
    verdict = f"Met in {len(met)} of {len(rows)} (data set, seed) runs, in epochs and in CPU s."
    if reached:
        ep = [r["ratio_epochs"] for r in reached]
        cpu = [r["ratio_seconds"] for r in reached]
        verdict += (
            f" TPE reached the grid's best in {len(reached)} of {len(rows)} runs, after "
            f"{min(ep):.0%}-{max(ep):.0%} of the grid's epochs and {min(cpu):.0%}-"
            f"{max(cpu):.0%} of its CPU seconds."
        )
    return {
        "statement": f"TPE + fold pruning reaches {TOLERANCE:.0%} of the grid's best CV "
        f"score with <= {TARGET:.0%} of the grid's compute",
        "value": TARGET,
        "met": bool(rows) and len(met) == len(rows),
        "met_runs": f"{len(met)}/{len(rows)}",
        "verdict": verdict,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="rat,synthetic", help="rat,synthetic")
    parser.add_argument("--seeds", default="0,1,2", help="TPE seeds")
    parser.add_argument("--quick", action="store_true", help="smoke test (not a measurement)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    cfg = {**CONFIG, **QUICK, "quick": True} if args.quick else CONFIG
    started = time.perf_counter()
    report = _bench.header(
        "search_efficiency",
        **cfg,
        seeds=seeds,
        tolerance=TOLERANCE,
        cap=CAP,
        thesis_grid=THESIS_GRID,
    )
    datasets = []
    with tempfile.TemporaryDirectory(prefix="mbr-bench-se-") as tmp:
        for name in args.datasets.split(","):
            if name == "rat" and not rat_dataset.available():
                datasets.append({"dataset": name, "skipped": rat_dataset.skip_message()})
                continue
            datasets.append(bench_dataset(name, cfg, seeds, Path(tmp) / name))
    report["datasets"] = datasets
    report["target"] = target(datasets)
    print(report["target"]["verdict"])
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
