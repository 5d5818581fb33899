"""Per-trial work of ``evaluate``: out-of-fold decisions, retraining, test scoring, files."""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import DataError
from mbr_search.evaluate import metrics
from mbr_search.evaluate.decisions import decide, score_set
from mbr_search.evaluate.features_info import feature_settings, source_fps, study_fps
from mbr_search.evaluate.model_dir import Group, Member, ModelDir, save
from mbr_search.evaluate.outputs import relative, write_frames_csv
from mbr_search.models import get_family
from mbr_search.search.record import OOF, TrialRecord


@dataclass
class Outcome:
    """One evaluated trial: its results.json record and what the ensemble/ceiling need."""

    number: int
    record: dict[str, Any]
    model: ModelDir
    oof_probs: dict[str, np.ndarray]
    oof_post: dict[str, np.ndarray]
    test_probs: dict[str, np.ndarray]
    test_post: dict[str, np.ndarray]


class TrialRunner:
    """Holds the study's videos and standardiser; evaluates one trial at a time."""

    def __init__(
        self,
        study_cfg: StudyConfig,
        spec: Any,
        artifact_dir: Path | None,
        out_dir: Path,
        say: Any,
    ) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        from mbr_search.features.store import load_split
        from mbr_search.storage import default_artifact_dir
        from mbr_search.training.sequences import MomentCache

        self.study = study_cfg
        self.say = say
        self.out_dir = out_dir
        self.behaviours = list(study_cfg.behaviours)
        self.fps = study_fps(study_cfg)
        self.train = load_split(study_cfg, "train")
        self.test = load_split(study_cfg, "test")
        self.train_by_id = {v.id: v for v in self.train}
        self.scaler = MomentCache(self.train).standardiser([v.id for v in self.train])
        self.artifact_dir = Path(artifact_dir or default_artifact_dir(spec))
        self.store = FileSystemArtifactStore(str(self.artifact_dir))
        self.features = feature_settings(study_cfg)

    def oof_labels(self, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {v: self.train_by_id[v].labels for v in probs}

    def load_oof(self, trial: Any) -> dict[str, np.ndarray]:
        """The trial's out-of-fold probabilities per training video (an Optuna artifact)."""
        from optuna.artifacts import download_artifact
        from optuna.artifacts.exceptions import ArtifactNotFound

        artifact_id = TrialRecord.from_trial(trial).oof_artifact_id
        if not artifact_id:
            raise DataError(
                f"trial #{trial.number} has no out-of-fold predictions ({OOF} missing), "
                "so thresholds cannot be chosen without the test videos. Fix: re-run the "
                "search with this version of mbr-search."
            )
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "oof.npz"
            try:
                download_artifact(
                    artifact_store=self.store, file_path=str(file), artifact_id=artifact_id
                )
            except ArtifactNotFound:
                raise DataError(
                    f"trial #{trial.number}: out-of-fold predictions (artifact {artifact_id}) "
                    f"not found in {self.artifact_dir}. Fix: pass --artifacts DIR, the folder "
                    "`mbr-search run` stored its artifacts in."
                ) from None
            with np.load(file, allow_pickle=False) as npz:
                oof = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
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
        self, probs: dict[str, np.ndarray], decisions: Any, folder: Path, *, is_test: bool
    ) -> tuple[dict[str, Any], Any]:
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
        block: dict[str, Any] = {"raw": scoring.raw, "post": scoring.post, "files": files}
        if is_test:
            block["pr_curve"] = metrics.pr_curves(
                {v: metrics.Scored(labels[v], probs[v], scoring.preds_raw[v]) for v in probs},
                self.behaviours,
            )
        else:
            block["videos"] = list(probs)
        return block, scoring

    def run(self, trial: Any, rank: int, oof: dict[str, np.ndarray]) -> Outcome:
        """Decide on OOF, retrain, predict and score the test videos, save the model dir."""
        import keras

        from mbr_search.evaluate.inference import predict_videos
        from mbr_search.evaluate.retrain import retrain

        trial_record = TrialRecord.from_trial(trial)
        params = trial_record.params
        typed = get_family(self.study.space.model).params.from_dict(params)
        folder = self.out_dir / "trials" / f"trial_{trial.number}"
        if folder.exists():
            shutil.rmtree(folder)
        decisions = decide(self.oof_labels(oof), oof, self.behaviours, self.fps)
        oof_block, oof_scoring = self.scored_block(oof, decisions, folder / "oof", is_test=False)
        self.say(
            f"Trial #{trial.number} (rank {rank}, CV {trial.value:.4f}): retraining on "
            f"{len(self.train)} training videos..."
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = retrain(
                self.study, trial.number, typed, trial_record.best_epochs,
                self.train, self.scaler,
            )  # fmt: skip
        member = Member(
            trial.number, params,
            tuple(Group(f"m0_{name}.keras", cols) for name, cols, _ in fitted.nets),
        )  # fmt: skip
        record: dict[str, Any] = {
            "number": trial.number,
            "rank": rank,
            "cv_value": float(trial.value),
            "fold_scores": trial_record.fold_scores,
            "params": params,
            "epochs": fitted.epochs,
            "search_seconds": trial_record.train_seconds,
            "train_seconds": round(fitted.seconds, 3),
            "predict_seconds": None,
            "predict_frames": 0,
            **decisions.as_json(),
            "oof": oof_block,
            "test": None,
        }
        test_probs: dict[str, np.ndarray] = {}
        test_post: dict[str, np.ndarray] = {}
        nets = [[net for _, _, net in fitted.nets]]
        if self.test:
            started = time.perf_counter()
            test_probs = predict_videos(
                [member], nets, self.scaler, self.test, len(self.behaviours)
            )
            record["predict_seconds"] = round(time.perf_counter() - started, 3)
            record["predict_frames"] = int(sum(len(p) for p in test_probs.values()))
            block, scoring = self.scored_block(test_probs, decisions, folder / "test", is_test=True)
            record["test"] = block
            test_post = scoring.preds_post
            self._say_scores(trial.number, scoring.post["pooled"])
        model = ModelDir(
            path=folder / "model",
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
            info={
                "study": self.study.name,
                "dataset": self.study.dataset.name,
                "trial": trial.number,
                "cv_value": float(trial.value),
                "train_videos": [v.id for v in self.train],
            },
        )
        save(model, nets)
        record["model_dir"] = relative(model.path, self.out_dir)
        keras.backend.clear_session()
        return Outcome(
            trial.number, record, model, oof, oof_scoring.preds_post, test_probs, test_post
        )

    def _say_scores(self, number: int, pooled: dict[str, Any]) -> None:
        parts = []
        for b in self.behaviours:
            e = pooled[b]
            f1 = "n/a" if e["f1"] is None else f"{e['f1']:.3f}"
            ap = "n/a" if e["pr_auc"] is None else f"{e['pr_auc']:.3f}"
            parts.append(f"{b} F1 {f1} PR-AUC {ap}")
        self.say(f"  trial #{number} test (post-processed): " + "; ".join(parts))
