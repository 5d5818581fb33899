"""Decisions taken on out-of-fold predictions (thresholds, post-processing) and scoring a set
of videos with them, raw and post-processed.

Only out-of-fold data enters :func:`decide`; test videos are scored with its result and
never change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mbr_search.evaluate.results.metrics import Metrics
from mbr_search.evaluate.scores import metrics
from mbr_search.scoring import postprocess, thresholds


@dataclass
class Decisions:
    """What is chosen on out-of-fold predictions: thresholds and post-processing."""

    thresholds: dict[str, float]
    postprocess: dict[str, postprocess.PostProcess]


@dataclass
class Scoring:
    """Raw and post-processed METRICS of one set of videos, and the decisions per frame."""

    raw: Metrics
    post: Metrics
    preds_raw: dict[str, np.ndarray] = field(default_factory=dict)
    preds_post: dict[str, np.ndarray] = field(default_factory=dict)


def decide(
    labels: Mapping[str, np.ndarray],
    probs: Mapping[str, np.ndarray],
    behaviours: Sequence[str],
    fps: float,
    overlap: float = metrics.SEGMENT_OVERLAP,
) -> Decisions:
    """Thresholds (max F1) then post-processing, both from out-of-fold videos only."""
    vids = list(probs)
    chosen = thresholds.choose_thresholds(
        [labels[v] for v in vids], [probs[v] for v in vids], behaviours
    )
    pps: dict[str, postprocess.PostProcess] = {}
    for c, b in enumerate(behaviours):
        ys = [labels[v][:, c] for v in vids]
        binary = [(probs[v][:, c] >= np.float32(chosen[b])).astype(np.uint8) for v in vids]
        pps[b] = postprocess.tune(ys, binary, fps, overlap)
    return Decisions(chosen, pps)


def score_set(
    labels: Mapping[str, np.ndarray],
    probs: Mapping[str, np.ndarray],
    decisions: Decisions,
    behaviours: Sequence[str],
    fps: float,
    overlap: float = metrics.SEGMENT_OVERLAP,
) -> Scoring:
    """Apply ``decisions`` to ``probs`` and score against ``labels``, before and after."""
    ts = [decisions.thresholds[b] for b in behaviours]
    pps = [decisions.postprocess[b] for b in behaviours]
    raw_sets, post_sets = {}, {}
    preds_raw, preds_post = {}, {}
    for vid, p in probs.items():
        raw = thresholds.binarise(p, ts)
        post = postprocess.apply_all(raw, pps)
        preds_raw[vid], preds_post[vid] = raw, post
        raw_sets[vid] = metrics.Scored(labels[vid], p, raw)
        post_sets[vid] = metrics.Scored(labels[vid], p, post)
    return Scoring(
        metrics.score(raw_sets, behaviours, fps, overlap),
        metrics.score(post_sets, behaviours, fps, overlap),
        preds_raw,
        preds_post,
    )
