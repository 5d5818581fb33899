"""Benchmark: trials per hour with 1 and 2 workers, on SQLite and on PostgreSQL.

A tiny study (bundled real rat data, pose features, 8/16-unit LSTM, 2 folds of 1 epoch:
the size of the tests' tiny study) run by the real command in a child process:

    mbr-search run tiny.yaml --trials N --workers W --storage URL --no-progress

for W in (1, 2) and URL a fresh SQLite file or a fresh database on a throwaway PostgreSQL
cluster on 127.0.0.1 (``tests/_postgres.py``, the test suite's helper). Two rates per run:
end to end (N finished trials / wall time of the command, start-up included) and steady
state (between the first and the last completion, from the storage's timestamps).

    .venv/bin/python benchmarks/workers.py [--trials 16]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench

SPACE = {
    "name": "tiny_lstm",
    "model": "lstm",
    "params": {
        "lstm_units": {"type": "categorical", "choices": [8, 16]},
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


def write_study(folder: Path) -> Path:
    _bench.write_yaml(folder / "tiny_space.yaml", SPACE)
    return _bench.write_yaml(
        folder / "tiny.yaml",
        {
            "name": "bench_workers",
            "dataset": str(_bench.RAT_MINI),
            "behaviours": ["social", "nonsocial", "aggression"],
            "fps": 10,
            "features": {"backbone": "pose"},
            "space": "tiny_space.yaml",
            "cv": {"scheme": "group_kfold", "k": 3, "max_folds": 2, "promote": 0},
            "sampler": {"name": "tpe", "n_startup_trials": 2},
            "pruner": {"name": "none"},
            "training": {"max_epochs": 1, "patience": 1},
            "seed": 0,
        },
    )


def postgres() -> Any:
    """A started throwaway PostgreSQL server, or None (with the reason printed)."""
    sys.path.insert(0, str(_bench.ROOT))
    try:
        from tests._postgres import PostgresServer, find_pg_bin
    except ImportError as exc:
        print(f"PostgreSQL helpers unavailable: {exc}", file=sys.stderr)
        return None
    bin_dir = find_pg_bin()
    if bin_dir is None:
        print("no PostgreSQL server binary: apt-get install postgresql", file=sys.stderr)
        return None
    server = PostgresServer(bin_dir)
    server.init()
    server.start()
    return server


def storage_rates(url: str) -> tuple[int, float | None, dict[str, int]]:
    """Finished trials, the steady rate per hour and the trial states, from the storage."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    trials = optuna.load_study(study_name="bench_workers", storage=url).get_trials()
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    ends = sorted(
        t.datetime_complete
        for t in trials
        if t.state.name in ("COMPLETE", "PRUNED") and t.datetime_complete
    )
    span = (ends[-1] - ends[0]).total_seconds() if len(ends) >= 3 else 0
    return len(ends), ((len(ends) - 1) / span * 3600 if span > 0 else None), states


def run_one(folder: Path, backend: str, url: str, workers: int, trials: int) -> dict[str, Any]:
    study = write_study(folder)
    load, cpu0, started = round(os.getloadavg()[0], 2), os.times(), time.perf_counter()
    _bench.cli(
        "run",
        study,
        "--trials",
        trials,
        "--workers",
        workers,
        "--storage",
        url,
        "--no-progress",
        "--cache-dir",
        folder / "cache",
        home=folder / "home",
    )
    wall, cpu1 = time.perf_counter() - started, os.times()
    finished, steady, states = storage_rates(url)
    children = (cpu1.children_user + cpu1.children_system) - (
        cpu0.children_user + cpu0.children_system
    )
    row = {
        "backend": backend,
        "workers": workers,
        "trials_requested": trials,
        "trials_finished": finished,
        "states": states,
        "wall_seconds": round(wall, 1),
        "children_cpu_seconds": round(children, 1),
        "trials_per_hour": round(finished / wall * 3600, 1),
        "steady_trials_per_hour": round(steady, 1) if steady else None,
        "load_average_before": load,
    }
    print(
        f"{backend} x{workers}: {finished} trials in {wall:.0f} s -> "
        f"{row['trials_per_hour']:.0f}/h (steady {row['steady_trials_per_hour']}/h)"
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16, help="trials per run")
    args = parser.parse_args()
    started = time.perf_counter()
    report = _bench.header(
        "workers",
        trials_per_run=args.trials,
        space=SPACE,
        data="datasets/rat_social_mini",
        cv="group_kfold k=3, 2 folds",
        epochs=1,
    )
    rows: list[dict[str, Any]] = []
    server = None
    with tempfile.TemporaryDirectory(prefix="mbr-bench-workers-") as tmp:
        try:
            server = postgres()
            for backend in ["sqlite"] + (["postgresql"] if server is not None else []):
                for workers in (1, 2):
                    folder = Path(tmp) / f"{backend}{workers}"
                    folder.mkdir()
                    url = (
                        f"sqlite:///{folder / 'optuna.db'}"
                        if backend == "sqlite"
                        else server.create_database(f"bench{workers}")
                    )
                    rows.append(run_one(folder, backend, url, workers, args.trials))
        finally:
            if server is not None:
                server.cleanup()
    if server is None:
        report["postgresql_skipped"] = "no PostgreSQL server binary (initdb/pg_ctl)"
    report["runs"] = rows
    report["speedup_2_workers"] = {
        b: round(two["trials_per_hour"] / one["trials_per_hour"], 2)
        for b in ("sqlite", "postgresql")
        for one in rows
        if one["backend"] == b and one["workers"] == 1
        for two in rows
        if two["backend"] == b and two["workers"] == 2
    }
    report["target"] = {
        "statement": "none stated (a measurement)",
        "value": None,
        "met": None,
        "verdict": "No target.",
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
