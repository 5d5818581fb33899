"""The models of ``results.json``: an evaluated trial and an ensemble of trials.

Both carry their cross-validation estimate next to their test scores: a trial its search
value (``cv_value``, the mean over folds) and, like an ensemble, ``oof_pr_auc``, the mean
PR-AUC over behaviours of its pooled out-of-fold probabilities, the one estimate that
trials and ensembles share. ``oof_pr_auc`` is absent from files written before it existed
(read as None), so adding it changed no schema version.
"""

from __future__ import annotations

from dataclasses import dataclass

from mbr_search.evaluate.results.metrics import (
    ScoredBlock,
    _optional_block,
    _optional_block_json,
    _postprocess,
    _thresholds,
)
from mbr_search.evaluate.results.uncertainty import Uncertainty
from mbr_search.jsondoc import JSON, JSONObject, Node
from mbr_search.models import MODEL_KEY
from mbr_search.scoring.postprocess import PostProcess
from mbr_search.search.record import FoldScores


@dataclass(frozen=True)
class TrialResult:
    """One evaluated trial: its search record, the retrained model and its scores."""

    number: int
    rank: int
    #: the trial's mean CV PR-AUC (the search objective)
    cv_value: float
    fold_scores: FoldScores
    #: every hyperparameter (the trial's resolved params)
    params: dict[str, JSON]
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
    #: mean PR-AUC over behaviours of the pooled out-of-fold probabilities (None: older file)
    oof_pr_auc: float | None = None
    #: estimate and test score with 90 % intervals (None: older file)
    uncertainty: Uncertainty | None = None

    @property
    def family(self) -> str | None:
        """The model family (``lstm``, ``gbdt``, ...) the trial recorded, if any."""
        value = self.params.get(MODEL_KEY)
        return value if isinstance(value, str) else None

    def to_json(self) -> JSONObject:
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
            "oof_pr_auc": self.oof_pr_auc,
            "uncertainty": _optional_uncertainty_json(self.uncertainty),
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
            oof_pr_auc=_optional_score(node, "oof_pr_auc"),
            uncertainty=_optional_uncertainty(node),
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
    #: mean PR-AUC over behaviours of the (weighted) mean out-of-fold probabilities: the
    #: plain mean's CV estimate; for selection an in-sample diagnostic, since the weights
    #: were fitted to these predictions (None: older file)
    oof_pr_auc: float | None = None
    #: estimate (cross-fitted for selection) and test score with intervals (None: older file)
    uncertainty: Uncertainty | None = None

    def weight(self, trial: int) -> float:
        """A member's weight (equal weights for the plain mean)."""
        if self.weights is None:
            return 1.0 / len(self.members)
        return self.weights[trial]

    def to_json(self) -> JSONObject:
        return {
            "method": self.method,
            "members": list(self.members),
            "weights": None
            if self.weights is None
            else {str(t): w for t, w in self.weights.items()},
            "selection_scores": list(self.selection_scores),
            "oof_pr_auc": self.oof_pr_auc,
            "uncertainty": _optional_uncertainty_json(self.uncertainty),
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
            oof_pr_auc=_optional_score(node, "oof_pr_auc"),
            uncertainty=_optional_uncertainty(node),
        )


def _optional_uncertainty(node: Node) -> Uncertainty | None:
    child = node.optional("uncertainty")
    return None if child is None else Uncertainty.from_json(child)


def _optional_uncertainty_json(value: Uncertainty | None) -> JSONObject | None:
    return None if value is None else value.to_json()


def _optional_score(node: Node, key: str) -> float | None:
    """A score added after the first files were written: absent or null reads as None."""
    value = node.optional(key)
    return None if value is None else value.number()


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
