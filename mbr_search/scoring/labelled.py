"""The label mask: which frames of a video a person labelled.

A label matrix is ``(frames, behaviours)`` of dtype :data:`LABEL_DTYPE`: 1 for "this
behaviour", 0 for "labelled, not this behaviour" and :data:`UNLABELLED` (-1) for a frame
nobody labelled (outside a BORIS observation's observed span, a trial window, a Caltech
stream's intervals, an empty per-frame CSV cell). Every reader writes it, every loss,
weight, metric, threshold and summary skips it: an unlabelled frame is never a negative.
The scorers that already took "not 0/1" as not labelled (``search/folds.py``,
``scoring/bootstrap.py``) read the same value.
"""

from __future__ import annotations

import numpy as np

#: label of a frame nobody labelled
UNLABELLED = -1
#: the dtype of every label matrix (0, 1 or UNLABELLED)
LABEL_DTYPE = np.int8


def known(labels: np.ndarray) -> np.ndarray:
    """Boolean array of ``labels``' shape: True where the label is 0 or 1."""
    arr = np.asarray(labels)
    if arr.dtype.kind == "f":
        return np.isfinite(arr) & (arr >= 0)
    return arr >= 0


def positive(labels: np.ndarray) -> np.ndarray:
    """Boolean array: True where the label is 1 (an unlabelled frame is not positive)."""
    return np.asarray(labels) > 0


def labelled_frames(labels: np.ndarray) -> np.ndarray:
    """(frames,) bool: frames labelled for at least one behaviour."""
    mask = known(labels)
    return mask if mask.ndim == 1 else np.asarray(mask.any(axis=1))


def keep_known(labels: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """``labels`` and each of ``others`` (same first axis) on the frames whose label is
    known; 1-D ``labels`` (one behaviour) only."""
    mask = known(labels)
    return (np.asarray(labels)[mask], *(np.asarray(o)[mask] for o in others))
