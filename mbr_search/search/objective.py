"""The Optuna objective: leave-one-video-out (or grouped k-fold) mean PR-AUC of one config.

Per trial: the space suggests the family and its hyperparameters, and the family's trainer
(``training/trainers.py``, picked by ``Family.kind``) is prepared once; per fold: the trainer
fits with early stopping and predicts the validation videos, each behaviour is scored on
their concatenated frames, and the pruner hears the running mean. The value is the mean
PR-AUC over behaviours and folds; a behaviour with no positive frame in a fold's validation
videos is skipped there (PR-AUC is undefined) and recorded, never reported as NaN. Nothing
here knows a family's name or kind.
"""

from __future__ import annotations

import errno
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna
from optuna.artifacts import FileSystemArtifactStore

from mbr_search.config.study import StudyConfig
from mbr_search.errors import OutputError, TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.models import Params
from mbr_search.search import record
from mbr_search.search.folds import Fold
from mbr_search.search.record import Skip, TrialRecord
from mbr_search.search.rungs import BestSoFar, StepAxis
from mbr_search.search.views import FeatureViews, View
from mbr_search.training.fit import EpochCallback
from mbr_search.training.reuse import Reuse
from mbr_search.training.scores import pr_auc
from mbr_search.training.seeds import fold_seed, trial_seed
from mbr_search.training.trainers import FoldLimits, Trainer, trainer_for

log = logging.getLogger(__name__)


@dataclass
class _Progress:
    """What a trial has gathered so far, fold by fold."""

    started: float
    fold_scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    best_epochs: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    oof: dict[str, np.ndarray] = field(default_factory=dict)

    def as_record(self, number: int, params: Params) -> TrialRecord:
        return TrialRecord(
            number, params.record(), self.fold_scores, self.best_epochs, tuple(self.skipped),
            round(time.perf_counter() - self.started, 3),
        )  # fmt: skip


class _PrunedByValue(optuna.TrialPruned):
    """The pruner said stop, and the study records pruned trials by value: the trial ends
    COMPLETE with the mean of the folds it finished (or, stopped inside its first fold, the
    value it last reported)."""

    def __init__(self, where: str, value: float) -> None:
        super().__init__(f"pruned by value {where}")
        self.where, self.value = where, value


class Objective:
    """Callable objective bound to one study's training data and folds."""

    def __init__(
        self,
        study: StudyConfig,
        videos: Sequence[VideoData],
        folds: Sequence[Fold],
        *,
        artifact_store: FileSystemArtifactStore | None = None,
        target_trials: int | None = None,
        on_fold: Callable[[int, int], None] | None = None,
        on_epoch: EpochCallback | None = None,
        prune: bool = True,
        reuse: Reuse | None = None,
    ) -> None:
        self.study = study
        #: compiled models and cut sequences shared by this process's trials; a rebuild
        #: gives the same scores (training/reuse.py), so sharing is the default
        self.reuse = reuse if reuse is not None else Reuse()
        #: False for promoted trials: a configuration re-run on all folds is never pruned
        self.prune = prune
        self.axis = StepAxis.for_pruner(study.pruner.name, study.training.max_epochs)
        self.videos = {v.id: v for v in videos}
        self.folds = list(folds)
        # The videos per window choice (computed once each); "none" is ``self.videos``.
        self.views = FeatureViews(study, self.videos)
        self.artifact_store = artifact_store
        self.target_trials = target_trials
        self.on_fold = on_fold
        self.on_epoch = on_epoch

    def __call__(self, trial: optuna.Trial) -> float:
        if self.prune and record.PROMOTED_FROM in trial.user_attrs:
            # a promotion's enqueued trial must run on all folds (search/promotion.py)
            trial.set_user_attr(record.FAIL_REASON, "promotion trial left to the promotion step")
            raise TrialFailed("a promotion trial runs only in the promotion step")
        self._refuse_surplus(trial)
        params = self.study.space.suggest_params(trial)
        trial.set_user_attr(record.PARAMS, params.record())
        trainer: Trainer | None = None
        try:
            view = self.views.for_params(params)
            seed = trial_seed(self.study.seed, trial.number)
            augment = view.augmenter.copies if view.augmenter is not None else None
            trainer = trainer_for(
                params, self.study.behaviours, n_features=view.dim, seed=seed,
                augment=augment, reuse=self.reuse,
            )  # fmt: skip
            trainer.prepare()
            return self._run(trial, params, trainer, view)
        except (TrialFailed, OutputError) as exc:
            _fail_reason(trial, str(exc))
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _disk_full(trial, exc, self._written_to()) from None
            raise
        except Exception as exc:
            if _is_oom(exc):
                trial.set_user_attr(record.FAIL_REASON, f"out of memory: {str(exc)[:200]}")
                raise TrialFailed(f"out of memory: {str(exc)[:200]}") from exc
            raise
        finally:
            if trainer is not None:
                trainer.close()

    def _written_to(self) -> str:
        """Where a trial writes: its artifacts (a write error names no file) and the cache."""
        # FileSystemArtifactStore keeps its folder only in a private attribute.
        art = getattr(self.artifact_store, "_base_path", None)
        places = [f"the artifacts folder {art}"] if art is not None else []
        return " or ".join([*places, f"the feature cache {self.study.cache_dir}"])

    def _refuse_surplus(self, trial: optuna.Trial) -> None:
        # Several workers may start trials at once near the target; a trial beyond the target
        # is recorded as failed (not counted) instead of overshooting the requested number.
        if self.target_trials is None:
            return
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        ahead = [
            t for t in trial.study.get_trials(deepcopy=False)
            if t.number < trial.number
            and (t.state in states or t.state == optuna.trial.TrialState.RUNNING)
        ]  # fmt: skip
        if len(ahead) >= self.target_trials:
            trial.set_user_attr(record.FAIL_REASON, "surplus: target reached by other workers")
            raise TrialFailed("surplus trial: the study already has its requested trials")

    def _run(self, trial: optuna.Trial, params: Params, trainer: Trainer, view: View) -> float:
        progress = _Progress(time.perf_counter())
        try:
            for position, fold in enumerate(self.folds):
                on_epoch = self._epoch_reports(trial, position, fold)
                fold_scores = self._fold(trial.number, fold, trainer, progress, view, on_epoch)
                for key, value in progress.as_record(trial.number, params).progress_json().items():
                    trial.set_user_attr(key, value)
                if self.on_fold is not None:
                    self.on_fold(fold.index, len(self.folds))
                self._report(trial, fold, fold_scores, progress)
        except _PrunedByValue as stop:
            # Stopped after its last fold it is a full result like any other; before, it is
            # a complete trial with a partial value, which fidelity ranking
            # (search/fidelity.py) keeps below every trial scored on all folds.
            if len(progress.fold_scores) < len(self.folds):
                trial.set_user_attr(record.PRUNED_AT, stop.where)
                return float(np.mean(progress.scores)) if progress.scores else stop.value
        if not progress.scores:
            raise TrialFailed(
                "no fold had a positive frame of any behaviour in its validation videos"
            )
        self._save_oof(trial, progress.oof)
        return float(np.mean(progress.scores))

    def _epoch_reports(
        self, trial: optuna.Trial, position: int, fold: Fold
    ) -> EpochCallback | None:
        """The fold's epoch callback: the caller's, plus (first fold, epoch pruners) a
        report to the pruner after every epoch, which may stop the trial mid-fold."""
        outer = self.on_epoch
        if not self.prune or self.axis.epoch_step(position, 1) is None:
            return outer
        best = BestSoFar()

        def report(epoch: int, score: float | None) -> None:
            if outer is not None:
                outer(epoch, score)
            step, value = self.axis.epoch_step(position, epoch), best.update(score)
            if step is None or value is None:
                return
            trial.report(value, step=step)
            if trial.should_prune():
                raise self._pruned(f"epoch {epoch} of fold {fold.index}", value)

        return report

    def _fold(
        self,
        number: int,
        fold: Fold,
        trainer: Trainer,
        progress: _Progress,
        view: View,
        on_epoch: EpochCallback | None = None,
    ) -> dict[str, float | None]:
        """Fit the trainer on one fold; score and keep its validation predictions.

        The trainer adds augmented copies of ``train`` when the trial augments; ``val`` goes
        to it untouched, and the standardiser is the real training videos' own."""
        behaviours = self.study.behaviours
        videos = view.by_id
        train = [videos[v] for v in fold.train]
        val = [videos[v] for v in fold.validation]
        positive = [c for c in range(len(behaviours)) for v in train if (v.labels[:, c] > 0).any()]
        trainable = sorted(set(positive))
        for c in sorted(set(range(len(behaviours))) - set(trainable)):
            progress.skipped.append(
                Skip(fold.index, behaviours[c], "no positive frame in training")
            )
        limit = self.study.training.fold_timeout
        fitted = trainer.fit_fold(
            train, val, view.standardiser(fold.train), trainable=trainable,
            limits=FoldLimits(
                self.study.training.max_epochs, self.study.training.patience,
                time.perf_counter() + limit if limit else None,
            ),
            seed=fold_seed(self.study.seed, number, fold.index), on_epoch=on_epoch,
        )  # fmt: skip
        progress.best_epochs[str(fold.index)] = dict(fitted.best)
        labels = np.concatenate([v.labels for v in val])
        pred = np.concatenate([fitted.probs[v.id] for v in val])
        scores: dict[str, float | None] = {}
        for c, name in enumerate(behaviours):
            trained_here = c in trainable
            ap = pr_auc(labels[:, c], pred[:, c]) if trained_here else None
            if ap is None and trained_here:
                progress.skipped.append(Skip(fold.index, name, "no positive frame in validation"))
            scores[name] = ap
            if ap is not None:
                progress.scores.append(ap)
        for vid in fold.validation:
            progress.oof[vid] = fitted.probs[vid].astype(np.float16)
        progress.fold_scores[str(fold.index)] = scores
        return scores

    def _report(
        self,
        trial: optuna.Trial,
        fold: Fold,
        scores: dict[str, float | None],
        progress: _Progress,
    ) -> None:
        """Tell the pruner how the trial stands after ``fold``; raise if it should stop."""
        if not progress.scores or not self.prune:
            return
        defined = [s for s in scores.values() if s is not None]
        value = float(np.mean(progress.scores))
        if self.study.pruner.name == "wilcoxon":
            if defined:
                trial.report(float(np.mean(defined)), step=fold.index)
        else:
            trial.report(value, step=self.axis.fold_step(fold.index))
        if trial.should_prune():
            raise self._pruned(f"after fold {fold.index}", value)

    def _pruned(self, where: str, value: float) -> optuna.TrialPruned:
        if self.study.pruner.pruned_as == "value":
            return _PrunedByValue(where, value)
        return optuna.TrialPruned(f"pruned {where}")

    def _save_oof(self, trial: optuna.Trial, oof: dict[str, np.ndarray]) -> None:
        """Out-of-fold validation probabilities, for thresholds and post-processing later."""
        if self.artifact_store is None or not oof:
            return
        from optuna.artifacts import upload_artifact

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"oof_trial{trial.number}.npz"
            np.savez_compressed(path, allow_pickle=False, **oof)  # type: ignore[arg-type]
            artifact_id = upload_artifact(
                artifact_store=self.artifact_store, file_path=str(path), study_or_trial=trial
            )
        trial.set_user_attr(record.OOF, artifact_id)


def _fail_reason(trial: optuna.Trial, reason: str) -> None:
    # The storage may sit on the same full disk: the reason is worth a try, never a second
    # error on top of the first.
    try:
        trial.set_user_attr(record.FAIL_REASON, reason)
    except Exception:
        log.debug("could not record the fail reason of trial %d", trial.number, exc_info=True)


def _disk_full(trial: optuna.Trial, exc: OSError, places: str) -> OutputError:
    """A trial that ran out of disk stops the run (every later trial would too): it is
    marked failed (Optuna does that for any error) and the run ends with this one line."""
    where = exc.filename or places
    error = OutputError(
        f"trial {trial.number} failed: the disk is full (writing {where}). Fix: free disk "
        "space there (or point --artifacts / MBR_SEARCH_CACHE elsewhere), then run the same "
        "command again: finished trials are kept."
    )
    _fail_reason(trial, str(error))
    return error


def _is_oom(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("ResourceExhaustedError", "MemoryError") or "OOM" in str(exc)[:500]
