"""``run_study``: the one core function behind ``mbr-search run``.

A straight line of named steps: load the training data and its folds, open (or create) the
study, then run trials one at a time until the study has its target of finished trials.
Process supervision (``--workers``, recycling into a fresh process) is
:mod:`mbr_search.search.workers`.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.scoring.estimate import Estimate
from mbr_search.search.fidelity import rank_by_fidelity
from mbr_search.search.fingerprint import check_or_store
from mbr_search.search.record import TrialRecord
from mbr_search.search.summary import RunSummary, prevalence_baseline

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from mbr_search.features.store import VideoData
    from mbr_search.search.folds import Fold, FoldSummary
    from mbr_search.storage import StorageSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    """How one process takes part in a study (the CLI's flags, typed)."""

    progress: bool = True
    heartbeat_interval: int | None = 60
    grace_period: int | None = None
    artifact_dir: Path | None = None
    #: offset of this process's sampler seed; None: the number of trials already stored
    seed_offset: int | None = None
    worker_index: int = 0
    poll_seconds: float = 5.0
    #: stop after this many trials in this process (``summary.recycle``) so the caller
    #: continues in a fresh one: Keras + TensorFlow leak ~12 MiB per trial in one process
    #: despite ``clear_session`` (benchmarks/long_run_memory.py)
    recycle_after: int | None = None
    #: wall-clock budget in seconds: no trial starts that would likely end after it
    budget: float | None = None
    #: (study name, storage) whose best trials are enqueued first
    warm_start: tuple[str, StorageSpec] | None = None
    #: called once, just before this process starts its first trial (the CLI imports
    #: TensorFlow there): a run that fails on its data or storage, or finds its target
    #: already reached, never pays for that import
    before_first_trial: Callable[[], None] | None = None


@dataclass(frozen=True)
class _Data:
    videos: list[VideoData]
    folds: list[Fold]
    baseline: float | None
    fold_summaries: list[FoldSummary]


def run_study(
    study_cfg: StudyConfig, spec: StorageSpec, options: RunOptions | None = None
) -> RunSummary:
    """Create or resume the study and run trials until it has ``study_cfg.trials`` finished
    (complete + pruned) trials, the grid is exhausted, or the timeout passes."""
    opts = options or RunOptions()
    started = time.perf_counter()
    _quiet_optuna()
    # The data before the storage: a bad dataset fails before anything is written there.
    data = _load_data(study_cfg)
    study, sampler = _open_study(study_cfg, spec, opts)
    _write_study_attrs(study, study_cfg, data)
    if opts.warm_start is not None and opts.worker_index == 0:
        _warm_start(study, study_cfg, *opts.warm_start)
    loop = _TrialLoop(study_cfg, spec, opts, study, sampler, data, started)
    loop.run()
    promoted = _promote(study, study_cfg, opts, data, loop)
    summary = _summary(
        study, spec, study_cfg.trials, data.baseline, started + loop.prepare_seconds, loop
    )
    summary.promoted = promoted
    summary.folds = data.fold_summaries
    summary.best_estimate = _best_estimate(study, summary.best_number, data, loop)
    return summary


def _best_estimate(
    study: optuna.Study, number: int | None, data: _Data, loop: _TrialLoop
) -> Estimate | None:
    """The best trial's pooled out-of-fold PR-AUC with its interval over videos: the same
    kind of number as a test score, which the mean over folds is not quite."""
    from mbr_search.errors import DataError
    from mbr_search.search.oof import load_oof_artifact

    if number is None or loop.objective.artifact_store is None:
        return None
    artifact = TrialRecord.from_trial(study.trials[number]).oof_artifact_id
    if not artifact:
        return None
    try:
        oof = load_oof_artifact(loop.objective.artifact_store, artifact, "the artifact folder")
    except DataError as exc:
        log.warning("no interval for trial #%d: %s", number, exc)
        return None
    return Estimate.of({v.id: v.labels for v in data.videos}, oof, loop.cfg.seed)


def _promote(
    study: optuna.Study, cfg: StudyConfig, opts: RunOptions, data: _Data, loop: _TrialLoop
) -> list[tuple[int, int]]:
    """With ``cv.max_folds``: once the target is reached (not on a timeout, budget or
    recycling stop), re-run the best quick looks on all folds (search/promotion.py)."""
    from mbr_search.search.progress import finished
    from mbr_search.search.promotion import promote

    if opts.worker_index != 0 or loop.recycle or loop.budget_reached:
        return []
    if finished(study) < cfg.trials and not loop.exhausted:
        return []
    return promote(study, cfg, data.videos, loop.objective.artifact_store)


def _quiet_optuna() -> None:
    import optuna

    # Optuna logs every failed trial with a traceback; we print one line per failure instead.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _load_data(study_cfg: StudyConfig) -> _Data:
    from mbr_search.data.positives import check_positives
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import summarise, video_folds

    videos = load_split(study_cfg, "train")
    # Test videos are read (and their features cached) now, so that a broken test file
    # fails here rather than in `evaluate` after the whole search.
    load_split(study_cfg, "test")
    folds = video_folds(videos, study_cfg.cv, study_cfg.seed)
    check_positives(study_cfg, videos, folds)
    labels = {v.id: v.labels for v in videos}
    summaries = summarise(folds, labels, study_cfg.behaviours)
    return _Data(videos, folds, prevalence_baseline(videos, folds), summaries)


def _warm_start(study: optuna.Study, cfg: StudyConfig, name: str, spec: StorageSpec) -> None:
    from mbr_search.search.warmstart import warm_start
    from mbr_search.storage import open_existing_study

    source = open_existing_study(spec, name, f"mbr-search run STUDY --study-name {name}")
    print(warm_start(study, source, cfg.space).describe(), file=sys.stderr, flush=True)


def _open_study(
    study_cfg: StudyConfig, spec: StorageSpec, opts: RunOptions
) -> tuple[optuna.Study, optuna.samplers.BaseSampler]:
    from mbr_search.search.sampling import build_pruner, build_sampler
    from mbr_search.storage import load_or_create_study, open_storage

    storage = open_storage(
        spec, heartbeat_interval=opts.heartbeat_interval, grace_period=opts.grace_period
    )
    name = study_cfg.study_name
    # No per-process offset: the sampler seeds each trial from its number, which the
    # storage makes unique, so workers, other machines and a resumed run never replay a
    # draw, and one process alone stays reproducible (sampling.TrialSeededSampler).
    sampler = build_sampler(study_cfg, seed_offset=opts.seed_offset or 0)
    pruner = build_pruner(study_cfg)
    study = load_or_create_study(storage, study_name=name, sampler=sampler, pruner=pruner)
    check_or_store(study, study_cfg)
    return study, sampler


class _TrialLoop:
    """Runs one trial at a time until the study's target, a stop condition, or Ctrl-C."""

    def __init__(
        self,
        cfg: StudyConfig,
        spec: StorageSpec,
        opts: RunOptions,
        study: optuna.Study,
        sampler: optuna.samplers.BaseSampler,
        data: _Data,
        started: float,
    ) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        from mbr_search.search.objective import Objective
        from mbr_search.search.progress import ProgressBar
        from mbr_search.storage import default_artifact_dir

        self.cfg, self.spec, self.opts, self.study, self.sampler = cfg, spec, opts, study, sampler
        art_dir = opts.artifact_dir or default_artifact_dir(spec)
        art_dir.mkdir(parents=True, exist_ok=True)
        self.bar = ProgressBar(study, cfg.trials, enabled=opts.progress)
        self.objective = Objective(
            cfg, data.videos, data.folds, artifact_store=FileSystemArtifactStore(str(art_dir)),
            target_trials=cfg.trials, on_fold=self.bar.fold_done,
        )  # fmt: skip
        self.deadline = started + cfg.timeout if cfg.timeout else None
        self.budget_end = started + opts.budget if opts.budget is not None else None
        self.budget_reached = False
        self.exhausted = False
        self.recycle = False
        self.ran = 0
        self._waited_note = False
        self._prepared = False
        self.prepare_seconds = 0.0

    def run(self) -> None:
        try:
            while self._step():
                pass
        finally:
            try:
                self.bar.close()
            except Exception:  # the database may be down: never mask the real outcome
                log.debug("progress bar could not refresh", exc_info=True)

    def _step(self) -> bool:
        """Run or wait for one trial; False when the loop is over."""
        from mbr_search.search.progress import counts, finished_count
        from mbr_search.storage import reap_stale_trials

        reap_stale_trials(self.study)
        c = counts(self.study)
        remaining = None if self.deadline is None else self.deadline - time.perf_counter()
        if self._should_stop(finished_count(c), remaining):
            return False
        if finished_count(c) + c["RUNNING"] >= self.cfg.trials:
            self._wait_for_others(c["RUNNING"])
            return True
        self._one_trial(remaining)
        return True

    def _should_stop(self, finished: int, remaining: float | None) -> bool:
        import optuna

        if finished >= self.cfg.trials:
            return True
        if isinstance(self.sampler, optuna.samplers.GridSampler):
            self.exhausted = self.sampler.is_exhausted(self.study)
            if self.exhausted:
                return True
        if remaining is not None and remaining <= 0:
            return True
        if self.budget_end is not None and self._over_budget():
            self.budget_reached = True
            return True
        self.recycle = self.opts.recycle_after is not None and self.ran >= self.opts.recycle_after
        return self.recycle

    def _over_budget(self) -> bool:
        """Would a trial of median cost, started now, end after the budget?"""
        assert self.budget_end is not None
        cost = median_trial_seconds(self.study)
        return time.perf_counter() + (cost or 0.0) > self.budget_end

    def _wait_for_others(self, running: int) -> None:
        # Other workers' trials may reach the target; a dead worker's trial is failed by
        # the heartbeat after its grace period and then re-queued for us to run.
        if not self._waited_note:
            log.warning("waiting for %d running trial(s) of other workers to finish", running)
            self._waited_note = True
        time.sleep(self.opts.poll_seconds)

    def _prepare(self, remaining: float | None) -> float | None:
        """Run ``before_first_trial`` once. Its time (the TensorFlow import) does not count
        against ``--timeout`` nor in the summary's seconds, as when the CLI imported
        TensorFlow before the run started; ``--budget`` is an end time and stays one."""
        if self._prepared or self.opts.before_first_trial is None:
            self._prepared = True
            return remaining
        self._prepared = True
        begun = time.perf_counter()
        self.opts.before_first_trial()
        self.prepare_seconds = time.perf_counter() - begun
        if self.deadline is not None:
            self.deadline += self.prepare_seconds
        return None if remaining is None else remaining + self.prepare_seconds

    def _one_trial(self, remaining: float | None) -> None:
        from mbr_search.storage import storage_cause, storage_error

        remaining = self._prepare(remaining)
        try:
            self.study.optimize(
                self.objective, n_trials=1, timeout=remaining, catch=(TrialFailed,),
                callbacks=[self.bar, report_failures], gc_after_trial=True,
                show_progress_bar=False,
            )  # fmt: skip
            self.ran += 1
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # database trouble mid-run: one line, redacted
            cause = storage_cause(exc)
            if cause is not None:
                raise storage_error(cause, self.spec) from exc
            raise


def _summary(
    study: optuna.Study,
    spec: StorageSpec,
    target: int,
    baseline: float | None,
    started: float,
    loop: _TrialLoop,
) -> RunSummary:
    import optuna

    from mbr_search.search.progress import counts, finished_count

    c = counts(study)
    summary = RunSummary(
        study_name=study.study_name, storage_display=spec.display,
        finished=finished_count(c), target=target, counts=c, best_value=None,
        baseline=baseline, seconds=time.perf_counter() - started,
        grid_exhausted=loop.exhausted, recycle=loop.recycle,
        budget_reached=loop.budget_reached,
    )  # fmt: skip
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    complete = [t for t in complete if t.value is not None]
    summary.pruned_by_value = sum(TrialRecord.from_trial(t).pruned_at is not None for t in complete)
    if complete:
        # the best of the highest fidelity: a quick look never outranks a full score
        best = rank_by_fidelity(complete).best
        summary.best_value = best.value
        summary.best_params = TrialRecord.from_trial(best).params
        summary.best_number = best.number
    return summary


def median_trial_seconds(study: optuna.Study) -> float | None:
    """Median wall time of the study's finished (complete or pruned) trials."""
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    seconds = [
        (t.datetime_complete - t.datetime_start).total_seconds()
        for t in study.get_trials(deepcopy=False, states=states)
        if t.datetime_complete is not None and t.datetime_start is not None
    ]
    return float(np.median(seconds)) if seconds else None


def report_failures(study: optuna.Study, trial: FrozenTrial) -> None:
    """One line on stderr for a failed trial: its number and reason, no traceback."""
    import optuna

    if trial.state == optuna.trial.TrialState.FAIL:
        reason = TrialRecord.from_trial(trial).fail_reason or "see --debug"
        print(f"trial {trial.number} failed: {reason}", file=sys.stderr)


def _write_study_attrs(study: optuna.Study, cfg: StudyConfig, data: _Data) -> None:
    from mbr_search.search.study_record import StudyRecord
    from mbr_search.storage import redact_url

    StudyRecord(
        study_file=str(cfg.path),
        dataset=str(cfg.dataset.path),
        backbone=cfg.backbone,
        space=str(cfg.space.path),
        behaviours=tuple(cfg.behaviours),
        baseline_pr_auc=data.baseline,
        folds=tuple(data.fold_summaries),
        # --set values may hold a storage URL: never store a password in the study itself.
        overrides=tuple((k, redact_url(v) if isinstance(v, str) else v) for k, v in cfg.overrides),
    ).write(study)
