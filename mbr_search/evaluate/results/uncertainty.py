"""How sure a score is, in ``results.json``: each model's estimate and test score with their
90 % intervals (bootstrap over videos, :mod:`mbr_search.scoring.bootstrap`), and paired
differences between models scored on the same videos.

The estimate is the number to believe before any test video is seen. For a trial and the
plain top-K mean it is the PR-AUC of the pooled out-of-fold probabilities; for the
selected ensemble it is the *cross-fitted* value (each fold blended by a selection made on
the other folds), because its plain out-of-fold PR-AUC was fitted to those same
predictions and is kept only as a labelled in-sample diagnostic (``oof_pr_auc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mbr_search.jsondoc import JSONObject, Node
from mbr_search.scoring.bootstrap import Interval

EstimateKind = Literal["oof", "cross_fitted"]
ESTIMATE_KINDS: tuple[EstimateKind, ...] = ("oof", "cross_fitted")


def _interval_json(value: Interval | None) -> JSONObject | None:
    return None if value is None else value.to_json()


def _interval(node: Node, key: str) -> Interval | None:
    child = node.nullable(key)
    if child is None:
        return None
    child.mapping()
    return Interval(
        low=child["low"].number(),
        high=child["high"].number(),
        level=child["level"].number(),
        draws=child["draws"].integer(),
        videos=child["videos"].integer(),
    )


@dataclass(frozen=True)
class Uncertainty:
    """A model's estimate (what CV says) and test score (pooled mean PR-AUC), each with its
    interval; test fields are None without test videos. ``estimate_interval`` is about
    the level (how sure the estimate is); ``expected_test`` is about one test set of the
    test set's size (how far its score may fall from the level by the luck of the videos)."""

    estimate: float
    kind: EstimateKind
    estimate_interval: Interval | None
    test: float | None = None
    test_interval: Interval | None = None
    #: where the pooled score of as many new videos as the test set holds is expected,
    #: from the same out-of-fold predictions (None: no test video, or an older file)
    expected_test: Interval | None = None

    def to_json(self) -> JSONObject:
        return {
            "estimate": self.estimate,
            "kind": self.kind,
            "estimate_interval": _interval_json(self.estimate_interval),
            "test": self.test,
            "test_interval": _interval_json(self.test_interval),
            "expected_test": _interval_json(self.expected_test),
        }

    @classmethod
    def from_json(cls, node: Node) -> Uncertainty:
        kind = node["kind"].text()
        if kind not in ESTIMATE_KINDS:
            raise node["kind"].fail(f"must be one of {list(ESTIMATE_KINDS)}")
        return cls(
            estimate=node["estimate"].number(),
            kind="oof" if kind == "oof" else "cross_fitted",
            estimate_interval=_interval(node, "estimate_interval"),
            test=node["test"].optional_number(),
            test_interval=_interval(node, "test_interval"),
            expected_test=_interval(node, "expected_test") if node.has("expected_test") else None,
        )


@dataclass(frozen=True)
class Difference:
    """``a - b`` of pooled mean PR-AUC on the videos both were scored on (``split``), with
    its paired interval: an interval that straddles 0 is no evidence either way."""

    a: str
    b: str
    split: Literal["test", "oof"]
    value: float
    interval: Interval | None

    @property
    def verdict(self) -> str:
        if self.interval is None:
            return "no interval"
        if self.interval.low > 0:
            return f"{self.a} better"
        if self.interval.high < 0:
            return f"{self.b} better"
        return "no evidence"

    def to_json(self) -> JSONObject:
        return {
            "a": self.a,
            "b": self.b,
            "split": self.split,
            "value": self.value,
            "interval": _interval_json(self.interval),
        }

    @classmethod
    def from_json(cls, node: Node) -> Difference:
        split = node["split"].text()
        if split not in ("test", "oof"):
            raise node["split"].fail("must be 'test' or 'oof'")
        return cls(
            a=node["a"].text(),
            b=node["b"].text(),
            split="test" if split == "test" else "oof",
            value=node["value"].number(),
            interval=_interval(node, "interval"),
        )
