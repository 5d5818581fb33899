"""Decision thresholds per behaviour, chosen on out-of-fold predictions only.

The functions here take out-of-fold labels and probabilities and nothing else: the test
videos cannot reach a threshold by construction (and ``tests/test_evaluate_e2e.py`` checks
it end to end by scrambling the test labels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mbr_search.scoring.labelled import keep_known

#: Used when a behaviour has no positive out-of-fold frame (F1 is undefined everywhere).
DEFAULT_THRESHOLD = 0.5
RULE = "max_f1_oof"


def max_f1_threshold(labels: np.ndarray, probs: np.ndarray) -> float:
    """The probability threshold (predict ``p >= t``) with the highest frame F1 on the
    labelled frames (UNLABELLED ones are skipped)."""
    from sklearn.metrics import precision_recall_curve

    y, p_all = keep_known(np.asarray(labels).ravel(), np.asarray(probs, np.float64).ravel())
    if y.size == 0 or not np.any(y > 0):
        return DEFAULT_THRESHOLD
    precision, recall, thresholds = precision_recall_curve(y > 0, p_all)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return float(thresholds[int(np.argmax(f1))])


def choose_thresholds(
    oof_labels: Sequence[np.ndarray], oof_probs: Sequence[np.ndarray], behaviours: Sequence[str]
) -> dict[str, float]:
    """Per behaviour, the max-F1 threshold on the pooled out-of-fold frames.

    ``oof_labels``/``oof_probs`` are per-video (frames, behaviours) arrays of the training
    videos' validation predictions from cross-validation.
    """
    labels = np.concatenate(list(oof_labels))
    probs = np.concatenate(list(oof_probs))
    return {b: max_f1_threshold(labels[:, c], probs[:, c]) for c, b in enumerate(behaviours)}


def binarise(probs: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """(frames, behaviours) 0/1 decisions ``probs >= threshold`` per column."""
    return (np.asarray(probs, dtype=np.float32) >= np.asarray(thresholds, np.float32)).astype(
        np.uint8
    )
