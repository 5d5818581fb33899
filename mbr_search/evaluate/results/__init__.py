"""``results.json`` as typed objects: what ``mbr-search evaluate`` writes, ``report`` reads.

The layout is documented in docs/usage.md (Evaluation results). :data:`SCHEMA_VERSION`
changes when a key is removed, renamed or changes meaning (a reader must refuse the file);
an added key does not: older files are read with it absent (``None`` / "not recorded"),
so a report still opens the results of an earlier release. Each class maps one JSON object
with an explicit ``to_json`` and ``from_json``; :meth:`Results.from_json` is the one place a
file is checked, so a missing or malformed value stops with one
:class:`~mbr_search.errors.DataError` line naming the file and the key. Floats are written
rounded to 6 digits, undefined values (0/0) as ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate.results.ceiling import (
    CeilingModel,
    HumanCeiling,
    ModelAgreement,
    RaterAgreement,
)
from mbr_search.evaluate.results.context import DatasetInfo, Fidelity, Settings
from mbr_search.evaluate.results.importance import FeatureImportance, GroupImportance
from mbr_search.evaluate.results.metrics import (
    Confusion,
    MetricEntry,
    Metrics,
    PRCurve,
    ScoredBlock,
)
from mbr_search.evaluate.results.models import EnsembleResult, ModelResult, TrialResult
from mbr_search.evaluate.results.summaries import SummaryNumbers, SummaryPair, TestSummaries
from mbr_search.evaluate.results.uncertainty import Difference, Uncertainty
from mbr_search.features.cache import write_text_atomic
from mbr_search.jsondoc import JSON, JSONObject, Node

#: The whole results.json vocabulary, importable from here (the parts live in this
#: package's models.py, metrics.py, ceiling.py, context.py, importance.py, summaries.py and
#: uncertainty.py, one subject each).
__all__ = [
    "RESULTS_FILE",
    "SCHEMA_VERSION",
    "CeilingModel",
    "Confusion",
    "DatasetInfo",
    "Difference",
    "EnsembleResult",
    "FeatureImportance",
    "Fidelity",
    "GroupImportance",
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
    "SummaryNumbers",
    "SummaryPair",
    "TestSummaries",
    "TrialResult",
    "Uncertainty",
]

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


def now_iso() -> str:
    """The time stamp results.json records (UTC, whole seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (results.json paths)."""
    return path.resolve().relative_to(root.resolve()).as_posix()


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
    #: which folds the ranked trials were scored on, and who was left out (None: older file)
    fidelity: Fidelity | None = None
    #: summary.csv of the test videos: true beside predicted (None: CV only, or older file)
    summaries: TestSummaries | None = None
    #: permutation importance of the rank-1 trial's feature groups (None: older file)
    importance: FeatureImportance | None = None
    #: paired differences between models on the same videos, with intervals (empty: older
    #: file, or a single model)
    differences: tuple[Difference, ...] = ()

    def ensembles(self) -> list[EnsembleResult]:
        return [e for e in (self.ensemble, self.selected) if e is not None]

    def models(self) -> list[ModelResult]:
        """Every evaluated trial, best first, then the ensembles."""
        return [*self.trials, *self.ensembles()]

    def to_json(self) -> JSONObject:
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
            "fidelity": None if self.fidelity is None else self.fidelity.to_json(),
            "summaries": None if self.summaries is None else self.summaries.to_json(),
            "importance": None if self.importance is None else self.importance.to_json(),
            "differences": [d.to_json() for d in self.differences],
        }
        return {k: _json_safe(v) for k, v in doc.items()}

    @classmethod
    def from_json(
        cls, data: JSON, *, source: str = RESULTS_FILE, study_name: str | None = None
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
        fidelity = root.optional("fidelity")
        summaries, importance = root.optional("summaries"), root.optional("importance")
        differences = root.optional("differences")
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
            fidelity=None if fidelity is None else Fidelity.from_json(fidelity),
            summaries=None if summaries is None else TestSummaries.from_json(summaries),
            importance=None if importance is None else FeatureImportance.from_json(importance),
            differences=()
            if differences is None
            else tuple(Difference.from_json(n) for n in differences.elements()),
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

    def _keyed_by_behaviour(self) -> list[tuple[str, Mapping[str, object]]]:
        """(key path, mapping) of everything the file keys by behaviour."""
        named: list[tuple[str, ModelResult]] = [
            (f"trials[{i}]", t) for i, t in enumerate(self.trials)
        ]
        if self.ensemble is not None:
            named.append(("ensemble", self.ensemble))
        if self.selected is not None:
            named.append(("selected_ensemble", self.selected))
        out: list[tuple[str, Mapping[str, object]]] = []
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


def _json_safe(value: object) -> JSON:
    """JSON-safe: numpy scalars to Python, non-finite floats to None, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if np.isfinite(value) else None
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
