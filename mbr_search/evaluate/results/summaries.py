"""Per-video summaries of the test videos in ``results.json`` (key ``summaries``; absent in
files written before it existed, read as None): the chosen model's predicted numbers beside
the true labels' ones, as in evaluate's ``summary.csv``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mbr_search.inference.summary import BehaviourSummary
from mbr_search.jsondoc import JSONObject, Node


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


@dataclass(frozen=True)
class SummaryNumbers:
    """One side (true or predicted) of one video and behaviour; None: no bout (undefined)."""

    total_s: float
    percent: float | None
    bouts: int
    mean_bout_s: float | None
    median_bout_s: float | None
    latency_s: float | None

    @classmethod
    def of(cls, row: BehaviourSummary) -> SummaryNumbers:
        return cls(
            row.total_s, _defined(row.percent), row.bouts, _defined(row.mean_bout_s),
            _defined(row.median_bout_s), _defined(row.latency_s),
        )  # fmt: skip

    def to_json(self) -> JSONObject:
        return {
            "total_s": self.total_s,
            "percent": self.percent,
            "bouts": self.bouts,
            "mean_bout_s": self.mean_bout_s,
            "median_bout_s": self.median_bout_s,
            "latency_s": self.latency_s,
        }

    @classmethod
    def from_json(cls, node: Node) -> SummaryNumbers:
        return cls(
            total_s=node["total_s"].number(),
            percent=node["percent"].optional_number(),
            bouts=node["bouts"].integer(),
            mean_bout_s=node["mean_bout_s"].optional_number(),
            median_bout_s=node["median_bout_s"].optional_number(),
            latency_s=node["latency_s"].optional_number(),
        )


@dataclass(frozen=True)
class SummaryPair:
    video: str
    behaviour: str
    true: SummaryNumbers
    pred: SummaryNumbers

    def to_json(self) -> JSONObject:
        return {
            "video": self.video,
            "behaviour": self.behaviour,
            "true": self.true.to_json(),
            "pred": self.pred.to_json(),
        }

    @classmethod
    def from_json(cls, node: Node) -> SummaryPair:
        return cls(
            video=node["video"].text(),
            behaviour=node["behaviour"].text(),
            true=SummaryNumbers.from_json(node["true"]),
            pred=SummaryNumbers.from_json(node["pred"]),
        )


@dataclass(frozen=True)
class TestSummaries:
    """The summaries evaluate wrote to ``file`` for the model ``predict`` gets (``model/``:
    the selected ensemble when there is one, else the rank-1 trial), after post-processing."""

    #: "selected ensemble" or "trial #N"
    model: str
    #: the summary CSV, relative to results.json's folder
    file: str
    rows: tuple[SummaryPair, ...]

    def to_json(self) -> JSONObject:
        return {"model": self.model, "file": self.file, "rows": [r.to_json() for r in self.rows]}

    @classmethod
    def from_json(cls, node: Node) -> TestSummaries:
        return cls(
            model=node["model"].text(),
            file=node["file"].text(),
            rows=tuple(SummaryPair.from_json(n) for n in node["rows"].elements()),
        )
