"""``results.json`` as typed objects: what ``mbr-search evaluate`` writes, ``report`` reads.

The layout is documented in docs/usage.md (Evaluation results); :data:`SCHEMA_VERSION`
changes whenever it does. Each class maps one JSON object with an explicit ``to_json`` and
``from_json``; :meth:`Results.from_json` is the one place a file is checked, so a missing or
malformed value stops with one :class:`~mbr_search.errors.DataError` line naming the file
and the key. Floats are written rounded to 6 digits, undefined values (0/0) as ``null``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate._jsondoc import Node
from mbr_search.evaluate.postprocess import PostProcess
from mbr_search.evaluate.results_ceiling import (
    CeilingModel,
    HumanCeiling,
    ModelAgreement,
    RaterAgreement,
)
from mbr_search.evaluate.results_context import DatasetInfo, Settings
from mbr_search.evaluate.results_scores import (
    Confusion,
    MetricEntry,
    Metrics,
    PRCurve,
    ScoredBlock,
    _optional_block,
    _optional_block_json,
    _postprocess,
    _thresholds,
)
from mbr_search.features.cache import write_text_atomic
from mbr_search.search.record import FoldScores

#: The whole results.json vocabulary, importable from here (the parts live in
#: results_scores.py and results_ceiling.py to keep each module one subject).
__all__ = [
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "CeilingModel",
    "Confusion",
    "DatasetInfo",
    "EnsembleResult",
    "HumanCeiling",
    "MetricEntry",
    "Metrics",
    "ModelAgreement",
    "ModelResult",
    "PRCurve",
    "RaterAgreement",
    "Results",
    "ScoredBlock",
    "Settings",
    "TrialResult",
]

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"

#: sklearn's layout: ((tn, fp), (fn, tp))


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
    """A weighted mean of trials' probabilities, decided and scored like a trial: the plain
    mean of the top trials (``method: mean``) or Caruana selection over the out-of-fold
    predictions of every complete trial (``method: selection``)."""

    members: tuple[int, ...]
    thresholds: dict[str, float]
    postprocess: dict[str, PostProcess]
    oof: ScoredBlock
    test: ScoredBlock | None
    #: the members' summed predict time plus the averaging; None without test videos
    predict_seconds: float | None
    predict_frames: int
    model_dir: str
    method: str = "mean"
    #: member trial -> weight (summing to 1)
    weights: dict[int, float] | None = None
    #: mean OOF PR-AUC after each round of selection
    selection_scores: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "members": list(self.members),
            "weights": None
            if self.weights is None
            else {str(t): w for t, w in self.weights.items()},
            "selection_scores": list(self.selection_scores),
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
            method=node["method"].text() if node.has("method") else "mean",
            weights=_weights(node.nullable("weights") if node.has("weights") else None),
            selection_scores=(
                node["selection_scores"].numbers() if node.has("selection_scores") else ()
            ),
        )


def _weights(node: Node | None) -> dict[int, float] | None:
    if node is None:
        return None
    out = {}
    for key, value in node.entries():
        if not key.isdigit():
            raise value.fail(f"key {key!r} is not a trial number")
        out[int(key)] = value.number()
    return out


#: what the report lays side by side: every evaluated trial, then the ensemble
ModelResult = TrialResult | EnsembleResult


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
    #: ensemble selection over every complete trial (None: not asked for)
    selected: EnsembleResult | None = None

    def ensembles(self) -> list[EnsembleResult]:
        return [e for e in (self.ensemble, self.selected) if e is not None]

    def models(self) -> list[ModelResult]:
        """Every evaluated trial, best first, then the ensembles."""
        return [*self.trials, *self.ensembles()]

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
            "selected_ensemble": None if self.selected is None else self.selected.to_json(),
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
        selected = root.nullable("selected_ensemble") if root.has("selected_ensemble") else None
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
            selected=None if selected is None else EnsembleResult.from_json(selected),
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
        if self.selected is not None:
            named.append(("selected_ensemble", self.selected))
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
