"""``results.json`` as typed objects: what ``mbr-search evaluate`` writes, ``report`` reads.

The layout is documented in docs/usage.md (Evaluation results); :data:`SCHEMA_VERSION`
changes whenever it does. Each class maps one JSON object with an explicit ``to_json`` and
``from_json``; :meth:`Results.from_json` is the one place a file is checked, so a missing or
malformed value stops with one :class:`~mbr_search.errors.DataError` line naming the file
and the key. Floats are written rounded to 6 digits, undefined values (0/0) as ``null``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate._jsondoc import Node
from mbr_search.evaluate.postprocess import PostProcess
from mbr_search.features.cache import write_text_atomic
from mbr_search.search.record import FoldScores

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"

#: sklearn's layout: ((tn, fp), (fn, tp))
Confusion = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class MetricEntry:
    """All scores of one behaviour on a set of frames (ENTRY in docs/usage.md)."""

    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    #: average precision of the probabilities; None without a positive frame
    pr_auc: float | None
    confusion: Confusion
    frames: int
    positives: int
    segmental_precision: float | None
    segmental_recall: float | None
    segmental_f1: float | None
    segment_hits: int
    bouts_true: int
    bouts_pred: int
    seconds_true: float
    seconds_pred: float

    @property
    def prevalence(self) -> float | None:
        """Share of positive frames: the PR-AUC of a classifier without skill."""
        return self.positives / self.frames if self.frames else None

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["confusion"] = [list(row) for row in self.confusion]
        return out

    @classmethod
    def from_json(cls, node: Node) -> MetricEntry:
        rows = node["confusion"].elements()
        if len(rows) != 2 or any(len(r.elements()) != 2 for r in rows):
            raise node["confusion"].fail("is not [[tn, fp], [fn, tp]]")
        (tn, fp), (fn, tp) = (r.integers() for r in rows)
        return cls(
            accuracy=node["accuracy"].optional_number(),
            precision=node["precision"].optional_number(),
            recall=node["recall"].optional_number(),
            f1=node["f1"].optional_number(),
            pr_auc=node["pr_auc"].optional_number(),
            confusion=((tn, fp), (fn, tp)),
            frames=node["frames"].integer(),
            positives=node["positives"].integer(),
            segmental_precision=node["segmental_precision"].optional_number(),
            segmental_recall=node["segmental_recall"].optional_number(),
            segmental_f1=node["segmental_f1"].optional_number(),
            segment_hits=node["segment_hits"].integer(),
            bouts_true=node["bouts_true"].integer(),
            bouts_pred=node["bouts_pred"].integer(),
            seconds_true=node["seconds_true"].number(),
            seconds_pred=node["seconds_pred"].number(),
        )


@dataclass(frozen=True)
class Metrics:
    """Scores of a set of videos: all frames pooled, and per video (METRICS)."""

    pooled: dict[str, MetricEntry]
    per_video: dict[str, dict[str, MetricEntry]]

    def to_json(self) -> dict[str, Any]:
        return {
            "pooled": {b: e.to_json() for b, e in self.pooled.items()},
            "per_video": {
                v: {b: e.to_json() for b, e in entries.items()}
                for v, entries in self.per_video.items()
            },
        }

    @classmethod
    def from_json(cls, node: Node) -> Metrics:
        return cls(
            pooled={b: MetricEntry.from_json(n) for b, n in node["pooled"].entries()},
            per_video={
                v: {b: MetricEntry.from_json(n) for b, n in videos.entries()}
                for v, videos in node["per_video"].entries()
            },
        )


@dataclass(frozen=True)
class PRCurve:
    """A pooled precision-recall curve, thinned to about 200 points."""

    precision: tuple[float, ...]
    recall: tuple[float, ...]
    thresholds: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": list(self.precision),
            "recall": list(self.recall),
            "thresholds": list(self.thresholds),
        }

    @classmethod
    def from_json(cls, node: Node) -> PRCurve:
        return cls(
            node["precision"].numbers(), node["recall"].numbers(), node["thresholds"].numbers()
        )


@dataclass(frozen=True)
class ScoredBlock:
    """One model's numbers on one split (out-of-fold or test), raw and post-processed."""

    raw: Metrics
    post: Metrics
    #: video -> per-frame CSV, relative to the folder of results.json
    files: dict[str, str]
    #: test only: pooled PR curve per behaviour with a positive frame
    pr_curve: dict[str, PRCurve] | None = None
    #: out-of-fold only: the validated training videos
    videos: tuple[str, ...] | None = None

    def stage(self, name: str) -> Metrics:
        """``raw`` (thresholded) or ``post`` (post-processed) scores."""
        return self.raw if name == "raw" else self.post

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "raw": self.raw.to_json(),
            "post": self.post.to_json(),
            "files": dict(self.files),
        }
        if self.pr_curve is not None:
            out["pr_curve"] = {b: c.to_json() for b, c in self.pr_curve.items()}
        if self.videos is not None:
            out["videos"] = list(self.videos)
        return out

    @classmethod
    def from_json(cls, node: Node) -> ScoredBlock:
        curves = node.optional("pr_curve")
        videos = node.optional("videos")
        return cls(
            raw=Metrics.from_json(node["raw"]),
            post=Metrics.from_json(node["post"]),
            files={v: n.text() for v, n in node["files"].entries()},
            pr_curve=(
                None if curves is None else {b: PRCurve.from_json(n) for b, n in curves.entries()}
            ),
            videos=None if videos is None else videos.texts(),
        )


def _thresholds(node: Node) -> dict[str, float]:
    return {b: n.number() for b, n in node.entries()}


def _postprocess(node: Node) -> dict[str, PostProcess]:
    return {b: PostProcess.from_json(n) for b, n in node.entries()}


def _optional_block(node: Node, key: str) -> ScoredBlock | None:
    value = node.nullable(key)
    return None if value is None else ScoredBlock.from_json(value)


def _optional_block_json(block: ScoredBlock | None) -> dict[str, Any] | None:
    return None if block is None else block.to_json()


@dataclass(frozen=True)
class TrialResult:
    """One evaluated trial: its search record, the retrained model and its scores."""

    number: int
    rank: int
    #: the trial's mean CV PR-AUC (the search objective)
    cv_value: float
    fold_scores: FoldScores
    #: every hyperparameter (the trial's resolved params)
    params: dict[str, Any]
    #: retraining epochs per output group ("all" when multi-label)
    epochs: dict[str, int]
    #: CV training time during the search; None when the trial did not record it
    search_seconds: float | None
    train_seconds: float
    #: predicting every test video; None (and 0 frames) without test videos
    predict_seconds: float | None
    predict_frames: int
    thresholds: dict[str, float]
    postprocess: dict[str, PostProcess]
    oof: ScoredBlock
    test: ScoredBlock | None
    #: the trial's model directory, relative to the folder of results.json
    model_dir: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "rank": self.rank,
            "cv_value": self.cv_value,
            "fold_scores": {f: dict(s) for f, s in self.fold_scores.items()},
            "params": dict(self.params),
            "epochs": dict(self.epochs),
            "search_seconds": self.search_seconds,
            "train_seconds": self.train_seconds,
            "predict_seconds": self.predict_seconds,
            "predict_frames": self.predict_frames,
            "thresholds": dict(self.thresholds),
            "postprocess": {b: p.as_dict() for b, p in self.postprocess.items()},
            "oof": self.oof.to_json(),
            "test": _optional_block_json(self.test),
            "model_dir": self.model_dir,
        }

    @classmethod
    def from_json(cls, node: Node) -> TrialResult:
        return cls(
            number=node["number"].integer(),
            rank=node["rank"].integer(),
            cv_value=node["cv_value"].number(),
            fold_scores={f: n.optional_numbers_by_key() for f, n in node["fold_scores"].entries()},
            params=dict(node["params"].mapping()),
            epochs={g: n.integer() for g, n in node["epochs"].entries()},
            search_seconds=node["search_seconds"].optional_number(),
            train_seconds=node["train_seconds"].number(),
            predict_seconds=node["predict_seconds"].optional_number(),
            predict_frames=node["predict_frames"].integer(),
            thresholds=_thresholds(node["thresholds"]),
            postprocess=_postprocess(node["postprocess"]),
            oof=ScoredBlock.from_json(node["oof"]),
            test=_optional_block(node, "test"),
            model_dir=node["model_dir"].text(),
        )


@dataclass(frozen=True)
class EnsembleResult:
    """The mean of the evaluated trials' probabilities, decided and scored like a trial."""

    members: tuple[int, ...]
    thresholds: dict[str, float]
    postprocess: dict[str, PostProcess]
    oof: ScoredBlock
    test: ScoredBlock | None
    #: the members' summed predict time plus the averaging; None without test videos
    predict_seconds: float | None
    predict_frames: int
    model_dir: str

    def to_json(self) -> dict[str, Any]:
        return {
            "members": list(self.members),
            "thresholds": dict(self.thresholds),
            "postprocess": {b: p.as_dict() for b, p in self.postprocess.items()},
            "oof": self.oof.to_json(),
            "test": _optional_block_json(self.test),
            "predict_seconds": self.predict_seconds,
            "predict_frames": self.predict_frames,
            "model_dir": self.model_dir,
        }

    @classmethod
    def from_json(cls, node: Node) -> EnsembleResult:
        return cls(
            members=node["members"].integers(),
            thresholds=_thresholds(node["thresholds"]),
            postprocess=_postprocess(node["postprocess"]),
            oof=ScoredBlock.from_json(node["oof"]),
            test=_optional_block(node, "test"),
            predict_seconds=node["predict_seconds"].optional_number(),
            predict_frames=node["predict_frames"].integer(),
            model_dir=node["model_dir"].text(),
        )


#: what the report lays side by side: every evaluated trial, then the ensemble
ModelResult = TrialResult | EnsembleResult


@dataclass(frozen=True)
class RaterAgreement:
    """Frame F1 between every pair of raters ("A~B", names sorted) and its mean."""

    pairs: dict[str, float | None]
    mean_f1: float | None

    def to_json(self) -> dict[str, Any]:
        return {"pairs": dict(self.pairs), "mean_f1": self.mean_f1}

    @classmethod
    def from_json(cls, node: Node) -> RaterAgreement:
        return cls(node["pairs"].optional_numbers_by_key(), node["mean_f1"].optional_number())


@dataclass(frozen=True)
class ModelAgreement:
    """Frame F1 of the model against each rater and its mean."""

    vs_raters: dict[str, float | None]
    mean_f1: float | None

    def to_json(self) -> dict[str, Any]:
        return {"vs_raters": dict(self.vs_raters), "mean_f1": self.mean_f1}

    @classmethod
    def from_json(cls, node: Node) -> ModelAgreement:
        return cls(node["vs_raters"].optional_numbers_by_key(), node["mean_f1"].optional_number())


@dataclass(frozen=True)
class CeilingModel:
    """The rank-1 trial as one more rater, on the ceiling's videos."""

    trial: int
    #: "test" or "oof" (out-of-fold predictions, when the ceiling is on training videos)
    source: str
    behaviours: dict[str, ModelAgreement]

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial,
            "source": self.source,
            "behaviours": {b: a.to_json() for b, a in self.behaviours.items()},
        }

    @classmethod
    def from_json(cls, node: Node) -> CeilingModel:
        return cls(
            trial=node["trial"].integer(),
            source=node["source"].text(),
            behaviours={b: ModelAgreement.from_json(n) for b, n in node["behaviours"].entries()},
        )


@dataclass(frozen=True)
class HumanCeiling:
    """How well independent raters agree, beside the model, on videos with >= 2 raters."""

    #: "test", or "train" when no test video has several raters
    split: str
    videos: tuple[str, ...]
    raters: tuple[str, ...]
    behaviours: dict[str, RaterAgreement]
    model: CeilingModel

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "videos": list(self.videos),
            "raters": list(self.raters),
            "behaviours": {b: a.to_json() for b, a in self.behaviours.items()},
            "model": self.model.to_json(),
        }

    @classmethod
    def from_json(cls, node: Node) -> HumanCeiling:
        return cls(
            split=node["split"].text(),
            videos=node["videos"].texts(),
            raters=node["raters"].texts(),
            behaviours={b: RaterAgreement.from_json(n) for b, n in node["behaviours"].entries()},
            model=CeilingModel.from_json(node["model"]),
        )


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset evaluated on and its split."""

    name: str
    path: str
    train_videos: tuple[str, ...]
    test_videos: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "train_videos": list(self.train_videos),
            "test_videos": list(self.test_videos),
        }

    @classmethod
    def from_json(cls, node: Node) -> DatasetInfo:
        return cls(
            name=node["name"].text(),
            path=node["path"].text(),
            train_videos=node["train_videos"].texts(),
            test_videos=node["test_videos"].texts(),
        )


@dataclass(frozen=True)
class Settings:
    """How evaluate decided and scored (the same for every model in the file)."""

    top: int
    ensemble: bool
    threshold_rule: str
    postprocess_objective: str
    #: candidate window sizes in frames per post-processing step
    postprocess_grid_frames: dict[str, tuple[int, ...]]
    segmental_overlap: float
    cv_metric: str

    def to_json(self) -> dict[str, Any]:
        return {
            "top": self.top,
            "ensemble": self.ensemble,
            "threshold_rule": self.threshold_rule,
            "postprocess_objective": self.postprocess_objective,
            "postprocess_grid_frames": {
                k: list(v) for k, v in self.postprocess_grid_frames.items()
            },
            "segmental_overlap": self.segmental_overlap,
            "cv_metric": self.cv_metric,
        }

    @classmethod
    def from_json(cls, node: Node) -> Settings:
        return cls(
            top=node["top"].integer(),
            ensemble=node["ensemble"].boolean(),
            threshold_rule=node["threshold_rule"].text(),
            postprocess_objective=node["postprocess_objective"].text(),
            postprocess_grid_frames={
                k: n.integers() for k, n in node["postprocess_grid_frames"].entries()
            },
            segmental_overlap=node["segmental_overlap"].number(),
            cv_metric=node["cv_metric"].text(),
        )


@dataclass(frozen=True)
class Results:
    """A whole ``results.json``: the study, the evaluated trials, ensemble and ceiling."""

    #: the study's name (its YAML's ``name``)
    study: str
    #: the Optuna study name
    study_name: str
    study_file: str
    #: the storage, password redacted
    storage: str
    dataset: DatasetInfo
    behaviours: tuple[str, ...]
    #: frame rate of every per-frame number and CSV
    fps: float
    backbone: str
    baseline_pr_auc: float | None
    created: str
    versions: dict[str, str]
    #: the dataset has no test video: every ``test`` is None
    cv_only: bool
    settings: Settings
    #: best first (rank 1 = highest cv_value); never empty
    trials: tuple[TrialResult, ...]
    ensemble: EnsembleResult | None
    human_ceiling: HumanCeiling | None

    def models(self) -> list[ModelResult]:
        """Every evaluated trial, best first, then the ensemble."""
        return [*self.trials, *([self.ensemble] if self.ensemble is not None else [])]

    def to_json(self) -> dict[str, Any]:
        """The JSON document (JSON-safe: floats rounded to 6 digits, non-finite as null)."""
        doc = {
            "schema_version": SCHEMA_VERSION,
            "study": self.study,
            "study_name": self.study_name,
            "study_file": self.study_file,
            "storage": self.storage,
            "dataset": self.dataset.to_json(),
            "behaviours": list(self.behaviours),
            "fps": self.fps,
            "backbone": self.backbone,
            "baseline_pr_auc": self.baseline_pr_auc,
            "created": self.created,
            "versions": dict(self.versions),
            "cv_only": self.cv_only,
            "settings": self.settings.to_json(),
            "trials": [t.to_json() for t in self.trials],
            "ensemble": None if self.ensemble is None else self.ensemble.to_json(),
            "human_ceiling": None if self.human_ceiling is None else self.human_ceiling.to_json(),
        }
        safe: dict[str, Any] = _json_safe(doc)
        return safe

    @classmethod
    def from_json(
        cls, data: Any, *, source: str = RESULTS_FILE, study_name: str | None = None
    ) -> Results:
        """Check and read a parsed ``results.json``; with ``study_name``, refuse another
        study's file before anything else is read."""
        root = Node(data, source)
        root.mapping()
        if not root.has("schema_version"):
            raise root.fail("not an mbr-search results file (no 'schema_version')")
        version = root["schema_version"].value
        if version != SCHEMA_VERSION:
            raise root.fail(
                f"schema_version {version!r}, this version of mbr-search reads {SCHEMA_VERSION}"
            )
        found = root["study_name"].text()
        if study_name is not None and found != study_name:
            raise root.fail(
                f"written for study '{found}', not '{study_name}' (is it the folder of this "
                "study's results?)"
            )
        trials = root["trials"]
        if not trials.elements():
            raise trials.fail("is empty: evaluate writes at least one trial")
        fps = root["fps"]
        if fps.number() <= 0:
            raise fps.fail("must be a positive frame rate")
        ensemble, ceiling = root.nullable("ensemble"), root.nullable("human_ceiling")
        results = cls(
            study=root["study"].text(),
            study_name=found,
            study_file=root["study_file"].text(),
            storage=root["storage"].text(),
            dataset=DatasetInfo.from_json(root["dataset"]),
            behaviours=root["behaviours"].texts(),
            fps=fps.number(),
            backbone=root["backbone"].text(),
            baseline_pr_auc=root["baseline_pr_auc"].optional_number(),
            created=root["created"].text(),
            versions={k: n.text() for k, n in root["versions"].entries()},
            cv_only=root["cv_only"].boolean(),
            settings=Settings.from_json(root["settings"]),
            trials=tuple(TrialResult.from_json(n) for n in trials.elements()),
            ensemble=None if ensemble is None else EnsembleResult.from_json(ensemble),
            human_ceiling=None if ceiling is None else HumanCeiling.from_json(ceiling),
        )
        results._check_behaviours(source)
        return results

    def _check_behaviours(self, source: str) -> None:
        """Every model's decisions and scores, and the ceiling, cover every behaviour (and
        the ceiling's model every rater), so a reader can index them."""
        for key, values in self._keyed_by_behaviour():
            missing = [b for b in self.behaviours if b not in values]
            if missing:
                raise Node(None, source, key).fail(f"lacks behaviour(s) {missing}")
        if self.human_ceiling is not None:
            raters = self.human_ceiling.raters
            for b, agreement in self.human_ceiling.model.behaviours.items():
                missing = [r for r in raters if r not in agreement.vs_raters]
                if missing:
                    key = f"human_ceiling.model.behaviours.{b}.vs_raters"
                    raise Node(None, source, key).fail(f"lacks rater(s) {missing}")

    def _keyed_by_behaviour(self) -> list[tuple[str, dict[str, Any]]]:
        """(key path, mapping) of everything the file keys by behaviour."""
        named: list[tuple[str, ModelResult]] = [
            (f"trials[{i}]", t) for i, t in enumerate(self.trials)
        ]
        if self.ensemble is not None:
            named.append(("ensemble", self.ensemble))
        out: list[tuple[str, dict[str, Any]]] = []
        for key, model in named:
            out += [
                (f"{key}.thresholds", model.thresholds),
                (f"{key}.postprocess", model.postprocess),
            ]
            for split, block in (("oof", model.oof), ("test", model.test)):
                if block is None:
                    continue
                for stage in ("raw", "post"):
                    scores = block.stage(stage)
                    out.append((f"{key}.{split}.{stage}.pooled", scores.pooled))
                    out += [
                        (f"{key}.{split}.{stage}.per_video.{v}", entries)
                        for v, entries in scores.per_video.items()
                    ]
        if self.human_ceiling is not None:
            out.append(("human_ceiling.behaviours", self.human_ceiling.behaviours))
            out.append(("human_ceiling.model.behaviours", self.human_ceiling.model.behaviours))
        return out

    @classmethod
    def read(cls, path: Path, *, study_name: str | None = None) -> Results:
        """Parse and check the file at ``path`` (see :meth:`from_json`)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read ({exc})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        return cls.from_json(data, source=str(path), study_name=study_name)

    def write(self, path: Path) -> Path:
        """Write :meth:`to_json` to ``path`` atomically."""
        write_text_atomic(path, json.dumps(self.to_json(), indent=1, allow_nan=False))
        return path


def _json_safe(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, non-finite floats to None, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if np.isfinite(value) else None
    return value
