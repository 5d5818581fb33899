"""The Optuna objective: leave-one-video-out (or grouped k-fold) mean PR-AUC of one config.

Per trial: build and compile the model(s) once; per fold: reset, fit with early stopping,
score each behaviour on the validation videos, report to the pruner. The value is the mean
PR-AUC over behaviours and folds; a behaviour with no positive frame in a fold's validation
videos is skipped there (PR-AUC is undefined) and recorded, never reported as NaN.
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from mbr_search.config.study import StudyConfig
from mbr_search.errors import TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.search.folds import Fold
from mbr_search.search.sequences import MomentCache, cut, unpad
from mbr_search.search.training import fit_fold, pr_auc

log = logging.getLogger(__name__)

#: What a finished trial leaves in its user attrs (read by evaluate and report).
ATTR_FOLD_SCORES = "fold_scores"  # {fold: {behaviour: ap | None}}
ATTR_BEST_EPOCHS = "best_epochs"  # {fold: {group: epoch}}
ATTR_TRAIN_SECONDS = "train_seconds"
ATTR_SKIPPED = "skipped"  # [[fold, behaviour, reason], ...]
ATTR_PARAMS = "resolved_params"  # every hyperparameter, searched or fixed
ATTR_OOF = "oof_artifact_id"
ATTR_FAIL_REASON = "fail_reason"


@dataclass(frozen=True)
class OutputGroup:
    """One model and the behaviour columns it predicts."""

    name: str
    columns: tuple[int, ...]


def output_groups(behaviours: Sequence[str], multi_label: bool) -> list[OutputGroup]:
    """One multi-label model, or one binary model per behaviour (the thesis)."""
    if multi_label:
        return [OutputGroup("all", tuple(range(len(behaviours))))]
    return [OutputGroup(b, (i,)) for i, b in enumerate(behaviours)]


class Objective:
    """Callable objective bound to one study's training data and folds."""

    def __init__(
        self,
        study: StudyConfig,
        videos: Sequence[VideoData],
        folds: Sequence[Fold],
        *,
        artifact_store: Any | None = None,
        target_trials: int | None = None,
        on_fold: Callable[[int, int], None] | None = None,
    ) -> None:
        self.study = study
        self.videos = {v.id: v for v in videos}
        self.folds = list(folds)
        self.moments = MomentCache(videos)
        self.artifact_store = artifact_store
        self.target_trials = target_trials
        self.on_fold = on_fold

    def __call__(self, trial: optuna.Trial) -> float:
        self._refuse_surplus(trial)
        params = self.study.space.suggest(trial)
        trial.set_user_attr(ATTR_PARAMS, params)
        try:
            return self._run(trial, params)
        except TrialFailed as exc:
            trial.set_user_attr(ATTR_FAIL_REASON, str(exc))
            raise
        except Exception as exc:
            if _is_oom(exc):
                trial.set_user_attr(ATTR_FAIL_REASON, f"out of memory: {str(exc)[:200]}")
                raise TrialFailed(f"out of memory: {str(exc)[:200]}") from exc
            raise
        finally:
            import keras

            keras.backend.clear_session()
            gc.collect()

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
            trial.set_user_attr(ATTR_FAIL_REASON, "surplus: target reached by other workers")
            raise TrialFailed("surplus trial: the study already has its requested trials")

    def _run(self, trial: optuna.Trial, params: dict[str, Any]) -> float:
        import keras

        from mbr_search.search.models import Resettable, build_model

        study = self.study
        seed = study.seed * 100_003 + trial.number
        keras.utils.set_random_seed(seed)
        behaviours = study.behaviours
        groups = output_groups(behaviours, bool(params["multi_label"]))
        dim = next(iter(self.videos.values())).features.shape[1]
        models = {
            g.name: Resettable(build_model(
                params, model=study.space.model, n_features=dim, n_outputs=len(g.columns)
            ))
            for g in groups
        }  # fmt: skip
        deadline_s = study.training.fold_timeout
        fold_scores: dict[str, dict[str, float | None]] = {}
        best_epochs: dict[str, dict[str, int]] = {}
        skipped: list[list[Any]] = []
        all_scores: list[float] = []
        fold_means: list[float] = []
        oof: dict[str, np.ndarray] = {}
        started = time.perf_counter()
        for fold in self.folds:
            scaler = self.moments.standardiser(fold.train)
            train = cut([self.videos[v] for v in fold.train], int(params["seq_len"]), scaler)
            val = cut([self.videos[v] for v in fold.validation], int(params["seq_len"]), scaler)
            pred = np.zeros(val.y.shape, dtype=np.float32)
            best_epochs[str(fold.index)] = {}
            deadline = time.perf_counter() + deadline_s if deadline_s else None
            for g in groups:
                columns = [c for c in g.columns if train.y[..., c][train.mask].any()]
                for c in set(g.columns) - set(columns):
                    skipped.append([fold.index, behaviours[c], "no positive frame in training"])
                if not columns:
                    continue
                result = fit_fold(
                    models[g.name], train, val, g.columns,
                    batch_size=int(params["batch_size"]),
                    max_epochs=study.training.max_epochs,
                    patience=study.training.patience,
                    deadline=deadline,
                    seed=seed + 7919 * fold.index,
                )  # fmt: skip
                best_epochs[str(fold.index)][g.name] = result.best_epoch
                for out, col in enumerate(g.columns):
                    pred[..., col] = result.val_pred[..., out]
            scores: dict[str, float | None] = {}
            for c, name in enumerate(behaviours):
                trained = not any(s[0] == fold.index and s[1] == name for s in skipped)
                ap = pr_auc(val.y[..., c][val.mask], pred[..., c][val.mask]) if trained else None
                if ap is None and trained:
                    skipped.append([fold.index, name, "no positive frame in validation"])
                scores[name] = ap
                if ap is not None:
                    all_scores.append(ap)
            for vid in fold.validation:
                oof[vid] = unpad(pred, val, vid).astype(np.float16)
            # Free this fold's arrays before the next fold cuts its own: two folds' worth
            # of sequences alive at once was the peak of a thesis-scale search.
            del train, val, pred
            fold_scores[str(fold.index)] = scores
            defined = [s for s in scores.values() if s is not None]
            fold_means.append(float(np.mean(defined)) if defined else float("nan"))
            self._record(trial, fold_scores, best_epochs, skipped, started)
            if self.on_fold is not None:
                self.on_fold(fold.index, len(self.folds))
            if not all_scores:
                continue
            if study.pruner.name == "wilcoxon":
                if defined:
                    trial.report(fold_means[-1], step=fold.index)
            else:
                trial.report(float(np.mean(all_scores)), step=fold.index)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {fold.index}")
        if not all_scores:
            raise TrialFailed(
                "no fold had a positive frame of any behaviour in its validation videos"
            )
        self._save_oof(trial, oof)
        return float(np.mean(all_scores))

    def _record(
        self,
        trial: optuna.Trial,
        fold_scores: dict[str, dict[str, float | None]],
        best_epochs: dict[str, dict[str, int]],
        skipped: list[list[Any]],
        started: float,
    ) -> None:
        trial.set_user_attr(ATTR_FOLD_SCORES, fold_scores)
        trial.set_user_attr(ATTR_BEST_EPOCHS, best_epochs)
        trial.set_user_attr(ATTR_SKIPPED, skipped)
        trial.set_user_attr(ATTR_TRAIN_SECONDS, round(time.perf_counter() - started, 3))

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
        trial.set_user_attr(ATTR_OOF, artifact_id)


def _is_oom(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("ResourceExhaustedError", "MemoryError") or "OOM" in str(exc)[:500]
