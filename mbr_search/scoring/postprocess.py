"""Morphological post-processing of 0/1 predictions (thesis §6.1): closing, opening, min bout.

Sizes are in frames at the study's frame rate and chosen per behaviour on out-of-fold
predictions (:func:`tune`), never on test videos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mbr_search.jsondoc import JSONObject, Node
from mbr_search.scoring.bouts import bouts, segmental_scores
from mbr_search.scoring.counts import f1_score

#: Candidate window lengths in seconds; converted to frames at the study's frame rate.
CLOSING_SECONDS = (0.0, 0.3, 0.5, 1.0, 2.0)
OPENING_SECONDS = (0.0, 0.3, 0.5, 1.0)
MIN_BOUT_SECONDS = (0.0, 0.3, 0.5, 1.0, 2.0)
OBJECTIVE = "mean of frame F1 and segmental F1 on out-of-fold predictions"


@dataclass(frozen=True)
class PostProcess:
    """Window sizes in frames; 0 (or 1) switches a step off."""

    closing: int = 0
    opening: int = 0
    min_bout: int = 0

    def as_dict(self) -> JSONObject:
        return {"closing": self.closing, "opening": self.opening, "min_bout": self.min_bout}

    @classmethod
    def from_json(cls, node: Node) -> PostProcess:
        """From results.json or model.json, checked (one-line error naming the key)."""
        return cls(node["closing"].integer(), node["opening"].integer(), node["min_bout"].integer())


def _morph(x: np.ndarray, size: int, op: str) -> np.ndarray:
    # Edge padding keeps a bout that touches the start or end of a video intact: with
    # scipy's default zero border, closing would erode it.
    pad = size
    padded = np.pad(x, pad, mode="edge")
    structure = np.ones(size, dtype=bool)
    func = ndimage.binary_closing if op == "closing" else ndimage.binary_opening
    return func(padded, structure=structure)[pad:-pad]


def apply(binary: np.ndarray, pp: PostProcess) -> np.ndarray:
    """Closing, then opening, then removal of bouts shorter than ``min_bout`` (uint8 out)."""
    x = np.asarray(binary).astype(bool).ravel()
    if x.size == 0:
        return x.astype(np.uint8)
    if pp.closing > 1:
        x = _morph(x, pp.closing, "closing")
    if pp.opening > 1:
        x = _morph(x, pp.opening, "opening")
    if pp.min_bout > 1:
        for start, stop in bouts(x):
            if stop - start < pp.min_bout:
                x[start:stop] = False
    return x.astype(np.uint8)


def apply_all(binary: np.ndarray, settings: Sequence[PostProcess]) -> np.ndarray:
    """Post-process each behaviour column of a (frames, behaviours) 0/1 matrix."""
    out = np.zeros(binary.shape, dtype=np.uint8)
    for c, pp in enumerate(settings):
        out[:, c] = apply(binary[:, c], pp)
    return out


def grid(fps: float) -> dict[str, list[int]]:
    """Candidate sizes in frames (sizes of 1 frame do nothing and are dropped)."""

    def frames(seconds: Sequence[float]) -> list[int]:
        values = {0} | {round(s * fps) for s in seconds if round(s * fps) >= 2}
        return sorted(values)

    return {
        "closing": frames(CLOSING_SECONDS),
        "opening": frames(OPENING_SECONDS),
        "min_bout": frames(MIN_BOUT_SECONDS),
    }


def objective(labels: Sequence[np.ndarray], preds: Sequence[np.ndarray], overlap: float) -> float:
    """Mean of pooled frame F1 and pooled segmental F1 (0 where undefined)."""
    tp = fp = fn = hits = n_true = n_pred = 0
    for y, p in zip(labels, preds, strict=True):
        tp += int(np.sum((y == 1) & (p == 1)))
        fp += int(np.sum((y == 0) & (p == 1)))
        fn += int(np.sum((y == 1) & (p == 0)))
        h, nt, npred = segmental_scores(y, p, overlap)
        hits, n_true, n_pred = hits + h, n_true + nt, n_pred + npred
    frame = f1_score(tp, fp, fn) or 0.0
    seg = 2 * hits / (n_true + n_pred) if (n_true + n_pred) else 0.0
    return 0.5 * (frame + seg)


def tune(
    labels: Sequence[np.ndarray],
    binary: Sequence[np.ndarray],
    fps: float,
    overlap: float = 0.5,
) -> PostProcess:
    """The grid point maximising :func:`objective` on one behaviour's out-of-fold videos.

    ``labels`` and ``binary`` are per-video 1-D 0/1 arrays (already thresholded). Ties go
    to the smallest windows (the identity first), so post-processing is only switched on
    when it helps.
    """
    if not any(np.any(y) for y in labels):
        return PostProcess()
    g = grid(fps)
    best, best_score = PostProcess(), objective(labels, binary, overlap)
    for closing in g["closing"]:
        for opening in g["opening"]:
            for min_bout in g["min_bout"]:
                pp = PostProcess(closing, opening, min_bout)
                if pp == PostProcess():
                    continue
                score = objective(labels, [apply(b, pp) for b in binary], overlap)
                if score > best_score + 1e-9:
                    best, best_score = pp, score
    return best
