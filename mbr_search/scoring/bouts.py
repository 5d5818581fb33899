"""Bouts (maximal runs of 1s) and bout-level agreement: segmental F1 with an overlap tolerance."""

from __future__ import annotations

import numpy as np

from mbr_search.scoring.labelled import known


def bouts(binary: np.ndarray) -> np.ndarray:
    """(n, 2) int array of ``[start, stop)`` frame intervals of the runs of 1s in ``binary``."""
    x = np.asarray(binary, dtype=np.int8).ravel()
    if x.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    edges = np.diff(np.concatenate([[0], x, [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return np.stack([starts, stops], axis=1).astype(np.int64)


def segment_matches(true_bouts: np.ndarray, pred_bouts: np.ndarray, overlap: float = 0.5) -> int:
    """Number of predicted bouts matched one-to-one to a true bout with IoU >= ``overlap``.

    The F1@k rule of temporal action segmentation (Lea et al. 2017): each predicted bout, in
    time order, takes the still-unmatched true bout it overlaps most, if their intersection
    over union reaches ``overlap``; any other predicted bout is a false positive.
    """
    if len(true_bouts) == 0 or len(pred_bouts) == 0:
        return 0
    ts, te = true_bouts[:, 0][None, :], true_bouts[:, 1][None, :]
    ps, pe = pred_bouts[:, 0][:, None], pred_bouts[:, 1][:, None]
    inter = np.clip(np.minimum(te, pe) - np.maximum(ts, ps), 0, None)
    union = np.maximum(te, pe) - np.minimum(ts, ps)
    iou = inter / np.maximum(union, 1)
    taken = np.zeros(len(true_bouts), dtype=bool)
    hits = 0
    for row in iou:
        # MS-TCN picks the best-overlapping true bout even when it is already taken (then a
        # false positive); doing the same keeps the numbers comparable with the literature.
        best = int(np.argmax(row))
        if row[best] >= overlap and not taken[best]:
            taken[best] = True
            hits += 1
    return hits


def segmental_scores(
    true: np.ndarray, pred: np.ndarray, overlap: float = 0.5
) -> tuple[int, int, int]:
    """(matched bouts, true bouts, predicted bouts) of two 0/1 sequences. Where ``true``
    is UNLABELLED nothing is counted: each labelled stretch is scored on its own (a bout
    ends where the labels end) and the counts add up."""
    true, pred = np.asarray(true).ravel(), np.asarray(pred).ravel()
    keep = known(true)
    if not keep.all():
        hits = n_true = n_pred = 0
        for start, stop in bouts(keep):
            found, in_true, in_pred = segmental_scores(true[start:stop], pred[start:stop], overlap)
            hits, n_true, n_pred = hits + found, n_true + in_true, n_pred + in_pred
        return hits, n_true, n_pred
    t, p = bouts(true > 0), bouts(pred)
    return segment_matches(t, p, overlap), len(t), len(p)


def segmental_prf(hits: int, n_true: int, n_pred: int) -> tuple[float | None, ...]:
    """Bout-level precision, recall and F1; None where undefined (0/0)."""
    precision = hits / n_pred if n_pred else None
    recall = hits / n_true if n_true else None
    f1 = 2 * hits / (n_true + n_pred) if (n_true + n_pred) else None
    return precision, recall, f1
