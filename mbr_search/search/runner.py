"""``run_study``: the one core function behind ``mbr-search run``."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.search.record import TrialRecord

log = logging.getLogger(__name__)

#: Study-level user attrs written by every worker (identical values).
STUDY_ATTRS = ("study_file", "dataset", "backbone", "space", "behaviours", "baseline_pr_auc")


@dataclass
class RunSummary:
    """What a run did, for the CLI to print."""

    study_name: str
    storage_display: str
    finished: int
    target: int
    counts: dict[str, int]
    best_value: float | None
    best_params: dict[str, Any] = field(default_factory=dict)
    best_number: int | None = None
    baseline: float | None = None
    seconds: float = 0.0
    grid_exhausted: bool = False
    #: the process ran its share of trials and should be replaced by a fresh one
    recycle: bool = False


def prevalence_baseline(study: StudyConfig, videos: list[Any], folds: list[Any]) -> float | None:
    """The PR-AUC of a classifier without skill: each validation video's prevalence,
    averaged like the objective averages (behaviours with positives, over folds)."""
    by_id = {v.id: v for v in videos}
    values: list[float] = []
    for fold in folds:
        labels = np.concatenate([by_id[v].labels for v in fold.validation])
        for c in range(labels.shape[1]):
            p = float(labels[:, c].mean())
            if p > 0:
                values.append(p)
    return float(np.mean(values)) if values else None


def run_study(
    study_cfg: StudyConfig,
    *,
    progress: bool = True,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    artifact_dir: Path | None = None,
    seed_offset: int | None = None,
    worker_index: int = 0,
    poll_seconds: float = 5.0,
    password_file: Path | None = None,
    recycle_after: int | None = None,
) -> RunSummary:
    """Create or resume the study and run trials until it has ``study_cfg.trials`` finished
    (complete + pruned) trials, the grid is exhausted, or the timeout passes.

    ``recycle_after``: stop after this many trials in this process (``summary.recycle``)
    so the caller can continue in a fresh process; Keras + TensorFlow leak ~12 MiB per
    trial in one process despite ``clear_session`` (benchmarks/long_run_memory.py).
    """
    import optuna
    from optuna.artifacts import FileSystemArtifactStore

    from mbr_search.features.store import load_split
    from mbr_search.search.folds import make_folds
    from mbr_search.search.objective import Objective
    from mbr_search.search.progress import ProgressBar, counts
    from mbr_search.search.sampling import build_pruner, build_sampler
    from mbr_search.storage import (
        default_artifact_dir,
        load_or_create_study,
        open_storage,
        reap_stale_trials,
        resolve_storage,
        storage_error,
    )

    # Optuna logs every failed trial with a traceback; we print one line per failure instead.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    started = time.perf_counter()
    # A malformed URL fails at once (no I/O); then the data, so a bad dataset fails before
    # anything is written to the storage.
    spec = resolve_storage(study_cfg.storage, password_file=password_file)
    videos = load_split(study_cfg, "train")
    folds = make_folds([v.id for v in videos], study_cfg.cv, study_cfg.seed)
    baseline = prevalence_baseline(study_cfg, videos, folds)

    storage = open_storage(spec, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    probe = load_or_create_study(
        storage, study_name=study_cfg.study_name, sampler=None, pruner=None
    )
    # Workers joining a study (or a resumed run) must not replay the same random draws.
    offset = seed_offset if seed_offset is not None else len(probe.get_trials(deepcopy=False))
    offset += 1000 * worker_index
    sampler = build_sampler(study_cfg, seed_offset=offset)
    study = load_or_create_study(
        storage, study_name=study_cfg.study_name, sampler=sampler, pruner=build_pruner(study_cfg)
    )
    _write_study_attrs(study, study_cfg, baseline)
    art_dir = artifact_dir or default_artifact_dir(spec)
    art_dir.mkdir(parents=True, exist_ok=True)
    store = FileSystemArtifactStore(str(art_dir))

    target = study_cfg.trials
    bar = ProgressBar(study, target, enabled=progress)
    objective = Objective(
        study_cfg, videos, folds, artifact_store=store, target_trials=target, on_fold=bar.fold_done
    )
    deadline = started + study_cfg.timeout if study_cfg.timeout else None
    exhausted = False
    waited_note = False
    ran = 0
    recycle = False
    try:
        while True:
            reap_stale_trials(study)
            c = counts(study)
            if c["COMPLETE"] + c["PRUNED"] >= target:
                break
            if isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study):
                exhausted = True
                break
            remaining = None if deadline is None else deadline - time.perf_counter()
            if remaining is not None and remaining <= 0:
                break
            if recycle_after is not None and ran >= recycle_after:
                recycle = True
                break
            if c["COMPLETE"] + c["PRUNED"] + c["RUNNING"] >= target:
                # Other workers' trials may reach the target; a dead worker's trial is failed
                # by the heartbeat after its grace period and then re-queued for us to run.
                if not waited_note:
                    log.warning(
                        "waiting for %d running trial(s) of other workers to finish", c["RUNNING"]
                    )
                    waited_note = True
                time.sleep(poll_seconds)
                continue
            try:
                study.optimize(
                    objective, n_trials=1, timeout=remaining, catch=(TrialFailed,),
                    callbacks=[bar, report_failures], gc_after_trial=True,
                    show_progress_bar=False,
                )  # fmt: skip
                ran += 1
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # database trouble mid-run: one line, redacted
                if type(exc).__module__.startswith(("sqlalchemy", "psycopg2", "optuna.storages")):
                    raise storage_error(exc, spec) from exc
                raise
    finally:
        try:
            bar.close()
        except Exception:  # the database may be down: never mask the real outcome
            log.debug("progress bar could not refresh", exc_info=True)
    c = counts(study)
    summary = RunSummary(
        study_name=study.study_name,
        storage_display=spec.display,
        finished=c["COMPLETE"] + c["PRUNED"],
        target=target,
        counts=c,
        best_value=None,
        baseline=baseline,
        seconds=time.perf_counter() - started,
        grid_exhausted=exhausted,
        recycle=recycle,
    )
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if complete:
        best = max(complete, key=lambda t: t.value if t.value is not None else -np.inf)
        summary.best_value = best.value
        summary.best_params = TrialRecord.from_trial(best).params
        summary.best_number = best.number
    return summary


def report_failures(study: Any, trial: Any) -> None:
    """One line on stderr for a failed trial: its number and reason, no traceback."""
    import optuna

    if trial.state == optuna.trial.TrialState.FAIL:
        reason = TrialRecord.from_trial(trial).fail_reason or "see --debug"
        print(f"trial {trial.number} failed: {reason}", file=sys.stderr)


def _write_study_attrs(study: Any, cfg: StudyConfig, baseline: float | None) -> None:
    from mbr_search.storage import redact_url

    attrs = {
        "study_file": str(cfg.path),
        "dataset": str(cfg.dataset.path),
        "backbone": cfg.backbone,
        "space": str(cfg.space.path),
        "behaviours": list(cfg.behaviours),
        "baseline_pr_auc": baseline,
        # --set values may hold a storage URL: never store a password in the study itself.
        "overrides": [[k, redact_url(v) if isinstance(v, str) else v] for k, v in cfg.overrides],
    }
    current = study.user_attrs
    for key, value in attrs.items():
        if current.get(key) != value:
            study.set_user_attr(key, value)
