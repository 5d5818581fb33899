"""Per-trial work of ``evaluate``: out-of-fold decisions, retraining, test scoring, files."""

from __future__ import annotations

import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import DataError
from mbr_search.evaluate.features_info import feature_settings, source_fps, study_fps
from mbr_search.evaluate.results import ScoredBlock, TrialResult, relative
from mbr_search.evaluate.results.uncertainty import EstimateKind, Uncertainty
from mbr_search.evaluate.scores import metrics
from mbr_search.evaluate.scores.decisions import Decisions, Scoring, decide, score_set
from mbr_search.evaluate.scores.estimates import uncertainty
from mbr_search.inference.frames_csv import write_frames_csv
from mbr_search.inference.model_dir import FrameWindows, Group, Member, ModelDir, ModelInfo, save
from mbr_search.scoring.bootstrap import pooled_mean_pr_auc
from mbr_search.search.record import OOF, TrialRecord
from mbr_search.training.trainers import trainer_class

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from mbr_search.evaluate.retrain import Retrained
    from mbr_search.inference.tta import TtaVideo
    from mbr_search.storage import StorageSpec


@dataclass
class Outcome:
    """One evaluated trial: its results.json entry and what the ensemble/ceiling need."""

    result: TrialResult
    model: ModelDir
    oof_probs: dict[str, np.ndarray]
    oof_post: dict[str, np.ndarray]
    test_probs: dict[str, np.ndarray]
    test_post: dict[str, np.ndarray]

    @property
    def number(self) -> int:
        return self.result.number


@dataclass(frozen=True)
class Tested:
    """A model's predictions on the test videos, scored (all empty without test videos)."""

    block: ScoredBlock | None = None
    probs: dict[str, np.ndarray] = field(default_factory=dict)
    post: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def frames(self) -> int:
        return int(sum(len(p) for p in self.probs.values()))


class TrialRunner:
    """Holds the study's videos and standardiser; evaluates one trial at a time."""

    def __init__(
        self,
        study_cfg: StudyConfig,
        spec: StorageSpec,
        artifact_dir: Path | None,
        out_dir: Path,
        say: Callable[[str], None],
        tta: bool | None = None,
    ) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        from mbr_search.features.store import load_split
        from mbr_search.inference.tta import resolve
        from mbr_search.search.views import FeatureViews
        from mbr_search.storage import default_artifact_dir
        from mbr_search.training.sequences import MomentCache

        #: test-time augmentation of the test videos (``inference/tta.py``)
        self.tta = resolve(tta, study_cfg.backbone, f"study '{study_cfg.name}'")
        self._tta_views: list[TtaVideo] | None = None
        self.study = study_cfg
        self.say = say
        self.out_dir = out_dir
        self.behaviours = list(study_cfg.behaviours)
        self.fps = study_fps(study_cfg)
        # Base features (no windows): a model directory's inputs are these; each member
        # adds its own window features, the study's fixed ones or its trial's choice.
        self.train = load_split(study_cfg, "train", windows=None)
        self.test = load_split(study_cfg, "test", windows=None)
        self.train_by_id = {v.id: v for v in self.train}
        self.scaler = MomentCache(self.train).standardiser([v.id for v in self.train])
        # Each trial retrains on its own window choice (base features for "none").
        self.views = FeatureViews(study_cfg, self.train, base_windows=None)
        self.artifact_dir = Path(artifact_dir or default_artifact_dir(spec))
        self.store = FileSystemArtifactStore(str(self.artifact_dir))
        self.features = feature_settings(study_cfg)

    def tta_views(self) -> list[TtaVideo]:
        """The test videos with their TTA views, computed on first use."""
        from mbr_search.inference.tta import study_tta_videos

        if self._tta_views is None:
            self._tta_views = study_tta_videos(self.study, self.test)
            n_views = len(self._tta_views[0].views) if self._tta_views else 0
            self.say(f"Test videos predicted with TTA: {n_views} views each.")
        return self._tta_views

    @property
    def tta_view_count(self) -> int | None:
        """Views per test video (the most) if any model was predicted over them, else None."""
        if not self._tta_views:
            return None
        return max(len(v.views) for v in self._tta_views)

    def oof_labels(self, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {v: self.train_by_id[v].labels for v in probs}

    def fold_groups(self, videos: set[str]) -> list[tuple[str, ...]]:
        """The validation videos of the study's folds (all of them, as promotion scores)
        that lie within ``videos``: the folds out-of-fold predictions over ``videos`` came
        from."""
        from dataclasses import replace

        from mbr_search.search.folds import video_folds

        every = replace(self.study.cv, max_folds=None)
        folds = video_folds(self.train, every, self.study.seed)
        return [f.validation for f in folds if set(f.validation) <= videos]

    def test_labels(self, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        by_id = {v.id: v for v in self.test}
        return {v: by_id[v].labels for v in probs}

    def uncertainty(
        self,
        kind: EstimateKind,
        estimate: dict[str, np.ndarray],
        test: dict[str, np.ndarray] | None,
    ) -> Uncertainty:
        """The estimate (out-of-fold or cross-fitted probabilities) and the test score, each
        with its interval over videos."""
        scored = (self.test_labels(test), test) if test else None
        return uncertainty(kind, (self.oof_labels(estimate), estimate), scored, self.study.seed)

    def oof_score(self, probs: dict[str, np.ndarray]) -> float:
        """Mean PR-AUC over behaviours of pooled out-of-fold probabilities: the CV estimate
        that a trial and an ensemble of trials share (pure, on OOF data already loaded)."""
        return pooled_mean_pr_auc(self.oof_labels(probs), probs)

    def load_oof(self, trial: FrozenTrial) -> dict[str, np.ndarray]:
        """The trial's out-of-fold probabilities per training video (an Optuna artifact)."""
        from mbr_search.search.oof import load_oof_artifact

        artifact_id = TrialRecord.from_trial(trial).oof_artifact_id
        if not artifact_id:
            raise DataError(
                f"trial #{trial.number} has no out-of-fold predictions ({OOF} missing), "
                "so thresholds cannot be chosen without the test videos. Fix: re-run the "
                "search with this version of mbr-search."
            )
        try:
            oof = load_oof_artifact(self.store, artifact_id, str(self.artifact_dir))
        except DataError as exc:
            raise DataError(f"trial #{trial.number}: {exc}") from None
        for vid, probs in oof.items():
            video = self.train_by_id.get(vid)
            if video is None or probs.shape != video.labels.shape:
                raise DataError(
                    f"trial #{trial.number}: out-of-fold predictions for '{vid}' do not match "
                    "the dataset's training videos now (changed dataset or features). Fix: "
                    "evaluate with the dataset the search ran on, or run a new study."
                )
        return oof

    def scored_block(
        self, probs: dict[str, np.ndarray], decisions: Decisions, folder: Path, *, is_test: bool
    ) -> tuple[ScoredBlock, Scoring]:
        """results.json block (oof or test) for ``probs``, writing one CSV per video."""
        videos = self.test if is_test else self.train
        labels = {v.id: v.labels for v in videos if v.id in probs}
        scoring = score_set(labels, probs, decisions, self.behaviours, self.fps)
        files = {}
        for vid, p in probs.items():
            path = write_frames_csv(
                folder / f"{vid}.csv", self.behaviours, self.fps, p,
                scoring.preds_raw[vid], scoring.preds_post[vid], labels[vid],
            )  # fmt: skip
            files[vid] = relative(path, self.out_dir)
        curves = None
        if is_test:
            scored = {v: metrics.Scored(labels[v], probs[v], scoring.preds_raw[v]) for v in probs}
            curves = metrics.pr_curves(scored, self.behaviours)
        block = ScoredBlock(
            raw=scoring.raw,
            post=scoring.post,
            files=files,
            pr_curve=curves,
            videos=None if is_test else tuple(probs),
        )
        return block, scoring

    def test_models(
        self, members: list[Member], nets: list[list[object]], decisions: Decisions, folder: Path
    ) -> Tested:
        """Predict and score the test videos with ``members`` (nothing without test videos)."""
        from mbr_search.inference.probabilities import predict_videos
        from mbr_search.inference.tta import tta_predict_videos, uses_views

        if not self.test:
            return Tested()
        started = time.perf_counter()
        n = len(self.behaviours)
        if self.tta and uses_views(members):
            probs = tta_predict_videos(members, nets, self.scaler, self.tta_views(), n)
        else:
            probs = predict_videos(members, nets, self.scaler, self.test, n)
        seconds = round(time.perf_counter() - started, 3)
        block, scoring = self.scored_block(probs, decisions, folder, is_test=True)
        return Tested(block, probs, scoring.preds_post, seconds)

    def run(self, trial: FrozenTrial, rank: int, oof: dict[str, np.ndarray]) -> Outcome:
        """Decide on OOF, retrain, predict and score the test videos, save the model dir."""
        record = TrialRecord.from_trial(trial)
        folder = self.out_dir / "trials" / f"trial_{trial.number}"
        if folder.exists():
            shutil.rmtree(folder)
        decisions = decide(self.oof_labels(oof), oof, self.behaviours, self.fps)
        oof_block, oof_scoring = self.scored_block(oof, decisions, folder / "oof", is_test=False)
        self.say(
            f"Trial #{trial.number} (rank {rank}, CV {trial.value:.4f}): retraining on "
            f"{len(self.train)} training videos..."
        )
        member, nets, fitted = self._retrain(record)
        tested = self.test_models([member], [nets], decisions, folder / "test")
        if tested.block is not None:
            self._say_scores(trial.number, tested.block)
        model = self._model_dir(folder / "model", trial, member, decisions)
        save(model, [nets])
        fitted.trainer.close()  # the Keras session, as the search's trainers free it
        result = TrialResult(
            number=trial.number,
            rank=rank,
            cv_value=_cv_value(trial),
            fold_scores=record.fold_scores,
            params=record.params,
            epochs=fitted.epochs,
            search_seconds=record.train_seconds,
            train_seconds=round(fitted.seconds, 3),
            predict_seconds=tested.seconds,
            predict_frames=tested.frames,
            thresholds={b: float(t) for b, t in decisions.thresholds.items()},
            postprocess=dict(decisions.postprocess),
            oof=oof_block,
            test=tested.block,
            model_dir=relative(model.path, self.out_dir),
            oof_pr_auc=self.oof_score(oof),
            uncertainty=self.uncertainty("oof", oof, tested.probs),
        )
        return Outcome(result, model, oof, oof_scoring.preds_post, tested.probs, tested.post)

    def _retrain(self, record: TrialRecord) -> tuple[Member, list[object], Retrained]:
        """The trial's models fitted on every training video, and its model-dir member."""
        from mbr_search.evaluate.retrain import retrain

        params = self.study.space.family_of(record.params).params.from_dict(record.params)
        view = self.views.for_params(params)
        augment = view.augmenter.copies if view.augmenter is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = retrain(
                self.study, record.number, params, record.best_epochs, list(view.videos),
                view.standardiser(), augment,
            )  # fmt: skip
        suffix = trainer_class(params).suffix
        groups = tuple(Group(f"m0_{name}{suffix}", cols) for name, cols, _ in fitted.nets)
        windows = (
            FrameWindows(view.windows, self.fps, view.choice) if view.windows is not None else None
        )
        member = Member(
            record.number, params, groups, windows=windows,
            scaler=view.standardiser() if windows is not None else None,
        )  # fmt: skip
        return member, [net for _, _, net in fitted.nets], fitted

    def _model_dir(
        self, path: Path, trial: FrozenTrial, member: Member, decisions: Decisions
    ) -> ModelDir:
        return ModelDir(
            path=path,
            behaviours=tuple(self.behaviours),
            fps=self.study.fps,
            backbone=self.study.backbone,
            features=self.features,
            feature_dim=int(self.train[0].features.shape[1]),
            source_fps=source_fps(self.study),
            members=(member,),
            thresholds=decisions.thresholds,
            postprocess=decisions.postprocess,
            standardiser=self.scaler,
            info=ModelInfo(
                study=self.study.name,
                dataset=self.study.dataset.name,
                trial=trial.number,
                cv_value=_cv_value(trial),
                train_videos=tuple(v.id for v in self.train),
            ),
        )

    def _say_scores(self, number: int, block: ScoredBlock) -> None:
        parts = []
        for b in self.behaviours:
            e = block.post.pooled[b]
            f1 = "n/a" if e.f1 is None else f"{e.f1:.3f}"
            ap = "n/a" if e.pr_auc is None else f"{e.pr_auc:.3f}"
            parts.append(f"{b} F1 {f1} PR-AUC {ap}")
        self.say(f"  trial #{number} test (post-processed): " + "; ".join(parts))


def _cv_value(trial: FrozenTrial) -> float:
    """A complete trial's value (load_trials keeps only trials that have one)."""
    if trial.value is None:
        raise DataError(f"trial #{trial.number} has no value: it is not a complete trial")
    return float(trial.value)
