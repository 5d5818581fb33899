"""The human ceiling in ``results.json``: rater-vs-rater agreement beside the model's."""

from __future__ import annotations

from dataclasses import dataclass

from mbr_search.jsondoc import JSONObject, Node


@dataclass(frozen=True)
class RaterAgreement:
    """Frame F1 between every pair of raters ("A~B", names sorted) and its mean."""

    pairs: dict[str, float | None]
    mean_f1: float | None

    def to_json(self) -> JSONObject:
        return {"pairs": dict(self.pairs), "mean_f1": self.mean_f1}

    @classmethod
    def from_json(cls, node: Node) -> RaterAgreement:
        return cls(node["pairs"].optional_numbers_by_key(), node["mean_f1"].optional_number())


@dataclass(frozen=True)
class ModelAgreement:
    """Frame F1 of the model against each rater and its mean."""

    vs_raters: dict[str, float | None]
    mean_f1: float | None

    def to_json(self) -> JSONObject:
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

    def to_json(self) -> JSONObject:
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

    def to_json(self) -> JSONObject:
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
