"""Permutation importance of the winner in ``results.json`` (key ``importance``; absent in
files written before it existed, read as None)."""

from __future__ import annotations

from dataclasses import dataclass

from mbr_search.jsondoc import JSONObject, Node


@dataclass(frozen=True)
class GroupImportance:
    """One feature group: its column count and the OOF PR-AUC drop per behaviour when its
    columns are permuted (mean and standard deviation over the draws; None: undefined)."""

    group: str
    columns: int
    drop: dict[str, float | None]
    std: dict[str, float | None]

    def to_json(self) -> JSONObject:
        return {
            "group": self.group,
            "columns": self.columns,
            "drop": dict(self.drop),
            "std": dict(self.std),
        }

    @classmethod
    def from_json(cls, node: Node) -> GroupImportance:
        return cls(
            group=node["group"].text(),
            columns=node["columns"].integer(),
            drop=node["drop"].optional_numbers_by_key(),
            std=node["std"].optional_numbers_by_key(),
        )


@dataclass(frozen=True)
class FeatureImportance:
    """Permutation importance per feature group of the rank-1 trial, on its out-of-fold
    videos (fold models refitted with the search's best rounds). ``skipped`` says why it
    was not computed (e.g. a family for which it is too slow); then ``groups`` is empty."""

    trial: int
    family: str
    repeats: int
    seed: int
    #: OOF PR-AUC per behaviour of the refitted fold models, unpermuted
    baseline: dict[str, float | None]
    #: largest mean drop first
    groups: tuple[GroupImportance, ...]
    #: wall seconds in all, and of them refitting the fold models
    seconds: float
    skipped: str | None = None
    fit_seconds: float = 0.0

    def to_json(self) -> JSONObject:
        return {
            "trial": self.trial,
            "family": self.family,
            "repeats": self.repeats,
            "seed": self.seed,
            "baseline": dict(self.baseline),
            "groups": [g.to_json() for g in self.groups],
            "seconds": self.seconds,
            "skipped": self.skipped,
            "fit_seconds": self.fit_seconds,
        }

    @classmethod
    def from_json(cls, node: Node) -> FeatureImportance:
        skipped = node.optional("skipped")
        return cls(
            trial=node["trial"].integer(),
            family=node["family"].text(),
            repeats=node["repeats"].integer(),
            seed=node["seed"].integer(),
            baseline=node["baseline"].optional_numbers_by_key(),
            groups=tuple(GroupImportance.from_json(n) for n in node["groups"].elements()),
            seconds=node["seconds"].number(),
            skipped=None if skipped is None else skipped.text(),
            fit_seconds=fit.number() if (fit := node.optional("fit_seconds")) else 0.0,
        )
