"""The scored parts of ``results.json``: one behaviour's metrics, a set of videos' metrics
(pooled and per video), PR curves and a scored block (raw and post-processed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from mbr_search.jsondoc import JSONObject, Node
from mbr_search.scoring.bouts import segmental_prf
from mbr_search.scoring.counts import f1_score, ratio
from mbr_search.scoring.postprocess import PostProcess

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

    @classmethod
    def from_counts(
        cls, confusion: Confusion, hits: int, n_true: int, n_pred: int, fps: float,
        pr: float | None,
    ) -> MetricEntry:  # fmt: skip
        """The entry for one behaviour from frame counts ``((tn, fp), (fn, tp))`` and bout
        matches (per video or pooled)."""
        (tn, fp), (fn, tp) = confusion
        seg_p, seg_r, seg_f = segmental_prf(hits, n_true, n_pred)
        frames = tn + fp + fn + tp
        return cls(
            accuracy=ratio(tp + tn, frames),
            precision=ratio(tp, tp + fp),
            recall=ratio(tp, tp + fn),
            f1=f1_score(tp, fp, fn),
            pr_auc=pr,
            confusion=((tn, fp), (fn, tp)),
            frames=frames,
            positives=tp + fn,
            segmental_precision=seg_p,
            segmental_recall=seg_r,
            segmental_f1=seg_f,
            segment_hits=hits,
            bouts_true=n_true,
            bouts_pred=n_pred,
            seconds_true=(tp + fn) / fps,
            seconds_pred=(tp + fp) / fps,
        )

    @classmethod
    def pooled(cls, entries: Sequence[MetricEntry], fps: float, ap: float | None) -> MetricEntry:
        """Pooled entry from per-video entries: counts add up, bouts never cross videos;
        ``ap`` is the PR-AUC of the pooled probabilities."""
        (tn, fp), (fn, tp) = (
            (sum(e.confusion[0][0] for e in entries), sum(e.confusion[0][1] for e in entries)),
            (sum(e.confusion[1][0] for e in entries), sum(e.confusion[1][1] for e in entries)),
        )
        hits = sum(e.segment_hits for e in entries)
        n_true = sum(e.bouts_true for e in entries)
        n_pred = sum(e.bouts_pred for e in entries)
        return cls.from_counts(((tn, fp), (fn, tp)), hits, n_true, n_pred, fps, ap)

    def to_json(self) -> JSONObject:
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

    def mean_pr_auc(self) -> float | None:
        """Mean pooled PR-AUC over the behaviours where it is defined (a positive frame)."""
        defined = [e.pr_auc for e in self.pooled.values() if e.pr_auc is not None]
        return sum(defined) / len(defined) if defined else None

    def to_json(self) -> JSONObject:
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

    def to_json(self) -> JSONObject:
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {
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


def _optional_block_json(block: ScoredBlock | None) -> JSONObject | None:
    return None if block is None else block.to_json()
