"""Search plumbing shared by the benchmarks, built only from the lead's building blocks.

``load_study`` (the real YAML path), ``load_split`` (the real float16 feature cache),
``make_folds``, ``Objective``, ``build_sampler`` and ``build_pruner``: the same trial the
``mbr-search run`` command runs, in an in-memory Optuna study so that storage latency is not
part of what is measured, with every trained epoch and CPU second counted per trial.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from _common import Meter, count_epochs


def write_space(path: Path, name: str, model: str, params: dict[str, Any], fixed: dict) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"name": name, "model": model, "params": params, "fixed": fixed}, sort_keys=False
        ),
        encoding="utf-8",
    )
    return path


def trim(videos: Sequence[Any], frames: int | None) -> list[Any]:
    """The first ``frames`` frames of each video (still memory-mapped: a view, no copy)."""
    if frames is None:
        return list(videos)
    return [
        dataclasses.replace(v, features=v.features[:frames], labels=v.labels[:frames])
        for v in videos
    ]


@dataclass
class TrialRecord:
    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    epochs: int
    cpu_seconds: float
    wall_seconds: float
    folds_run: int
    cum_epochs: int = 0
    cum_cpu_seconds: float = 0.0
    cum_wall_seconds: float = 0.0
    fold_scores: dict[str, dict[str, float | None]] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["cpu_seconds"] = round(self.cpu_seconds, 2)
        out["wall_seconds"] = round(self.wall_seconds, 2)
        out["cum_cpu_seconds"] = round(self.cum_cpu_seconds, 2)
        out["cum_wall_seconds"] = round(self.cum_wall_seconds, 2)
        return out


def run_search(
    study_cfg: Any,
    videos: Sequence[Any],
    folds: Sequence[Any],
    *,
    n_trials: int,
    stop: Callable[[list[TrialRecord]], bool] | None = None,
    enqueue: Sequence[dict[str, Any]] = (),
    log_prefix: str = "",
) -> list[TrialRecord]:
    """Run up to ``n_trials`` trials of the study's sampler and pruner; ``stop`` is asked
    after every trial. Epochs and CPU/wall seconds are counted per trial and cumulatively
    (CPU seconds of this process, including the sampler's own time)."""
    import optuna

    from mbr_search.search.objective import Objective
    from mbr_search.search.sampling import build_pruner, build_sampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize", sampler=build_sampler(study_cfg), pruner=build_pruner(study_cfg)
    )
    for params in enqueue:
        study.enqueue_trial(params)
    meter = Meter()
    objective = Objective(study_cfg, videos, folds)
    records: list[TrialRecord] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    last: dict[str, Any] = {"epochs": 0, "cpu": cpu0, "wall": wall0}

    def callback(st: Any, frozen: Any) -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        scores = frozen.user_attrs.get("fold_scores", {})
        rec = TrialRecord(
            number=frozen.number,
            state=frozen.state.name,
            value=frozen.value,
            params=dict(frozen.user_attrs.get("resolved_params", frozen.params)),
            epochs=int(meter.epochs - last["epochs"]),
            cpu_seconds=cpu - last["cpu"],
            wall_seconds=wall - last["wall"],
            folds_run=len(scores),
            cum_epochs=meter.epochs,
            cum_cpu_seconds=cpu - cpu0,
            cum_wall_seconds=wall - wall0,
            fold_scores=dict(scores),
        )
        last.update(epochs=meter.epochs, cpu=cpu, wall=wall)
        records.append(rec)
        value = "—" if rec.value is None else f"{rec.value:.4f}"
        print(
            f"{log_prefix}trial {rec.number:3d} {rec.state:8s} value {value} "
            f"folds {rec.folds_run} epochs {rec.epochs:3d} cpu {rec.cpu_seconds:6.1f}s "
            f"(total {rec.cum_epochs} epochs, {rec.cum_cpu_seconds:.0f} cpu-s, "
            f"{rec.cum_wall_seconds:.0f} s)",
            flush=True,
        )
        if stop is not None and stop(records):
            st.stop()

    with count_epochs(meter):
        study.optimize(
            objective,
            n_trials=n_trials,
            callbacks=[callback],
            gc_after_trial=True,
            catch=(Exception,),
        )
    return records


def best_complete(records: Sequence[TrialRecord]) -> TrialRecord | None:
    done = [r for r in records if r.state == "COMPLETE" and r.value is not None]
    return max(done, key=lambda r: float(r.value or -np.inf)) if done else None
