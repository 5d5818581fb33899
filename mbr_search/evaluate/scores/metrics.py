"""Frame- and bout-level scores per behaviour, per video and pooled (thesis Tables 5.1-5.3),
built as the typed :class:`MetricEntry` / :class:`Metrics` that results.json stores.

Every number a report shows comes from here. Undefined values (0/0: precision without a
predicted positive, PR-AUC without a positive frame) are ``None``, never 0 or NaN, so a
table can print "n/a" instead of a misleading number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.evaluate.results.metrics import MetricEntry, Metrics, PRCurve
from mbr_search.scoring.bouts import segmental_scores
from mbr_search.scoring.labelled import keep_known, known
from mbr_search.training.scores import pr_auc

#: Default intersection over union a predicted bout needs with a true bout to count as found.
SEGMENT_OVERLAP = 0.5
_PR_CURVE_POINTS = 200


@dataclass(frozen=True)
class Scored:
    """One video's aligned per-frame arrays, all (frames, behaviours)."""

    labels: np.ndarray  # 1, 0 or UNLABELLED (skipped by every score)
    probs: np.ndarray  # probabilities in [0, 1]
    preds: np.ndarray  # 0/1 decisions


def entry(
    labels: np.ndarray,
    probs: np.ndarray,
    preds: np.ndarray,
    fps: float,
    overlap: float = SEGMENT_OVERLAP,
    *,
    ap: float | str | None = "compute",
) -> MetricEntry:
    """All scores of one behaviour on one stretch of frames (1-D arrays); a frame whose
    label is UNLABELLED counts nowhere (bouts are cut where the labels stop)."""
    raw = np.asarray(labels).ravel()
    keep = known(raw)
    y = raw > 0
    p = np.asarray(preds).astype(bool).ravel()
    tp = int(np.sum(y & p & keep))
    fp = int(np.sum(~y & p & keep))
    fn = int(np.sum(y & ~p & keep))
    tn = int(np.sum(~y & ~p & keep))
    hits, n_true, n_pred = segmental_scores(raw, p, overlap)
    pr = pr_auc(raw, probs) if ap == "compute" else (None if isinstance(ap, str) else ap)
    return MetricEntry.from_counts(((tn, fp), (fn, tp)), hits, n_true, n_pred, fps, pr)


def score(
    videos: Mapping[str, Scored],
    behaviours: Sequence[str],
    fps: float,
    overlap: float = SEGMENT_OVERLAP,
) -> Metrics:
    """METRICS (see docs/usage.md): every behaviour pooled over the videos, and per video."""
    per_video: dict[str, dict[str, MetricEntry]] = {}
    for vid, s in videos.items():
        per_video[vid] = {
            b: entry(s.labels[:, c], s.probs[:, c], s.preds[:, c], fps, overlap)
            for c, b in enumerate(behaviours)
        }
    pooled: dict[str, MetricEntry] = {}
    for c, b in enumerate(behaviours):
        labels = [s.labels[:, c] for s in videos.values()]
        probs = [s.probs[:, c] for s in videos.values()]
        ap = pr_auc(np.concatenate(labels), np.concatenate(probs)) if videos else None
        pooled[b] = MetricEntry.pooled([per_video[v][b] for v in videos], fps, ap)
    return Metrics(pooled=pooled, per_video=per_video)


def pr_curves(videos: Mapping[str, Scored], behaviours: Sequence[str]) -> dict[str, PRCurve]:
    """Pooled precision-recall curves per behaviour, thinned to about 200 points."""
    from sklearn.metrics import precision_recall_curve

    out: dict[str, PRCurve] = {}
    for c, b in enumerate(behaviours):
        y, p = keep_known(
            np.concatenate([s.labels[:, c] for s in videos.values()]),
            np.concatenate([s.probs[:, c] for s in videos.values()]).astype(np.float64),
        )
        if not np.any(y > 0):
            continue
        precision, recall, thresholds = precision_recall_curve(y > 0, p)
        keep = np.unique(np.linspace(0, len(thresholds) - 1, _PR_CURVE_POINTS).astype(int))
        out[b] = PRCurve(
            precision=(*(round(float(v), 5) for v in precision[keep]), 1.0),
            recall=(*(round(float(v), 5) for v in recall[keep]), 0.0),
            thresholds=tuple(round(float(v), 5) for v in thresholds[keep]),
        )
    return out
