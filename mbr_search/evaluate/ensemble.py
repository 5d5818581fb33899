"""Ensembles of the top trials (thesis §6.1): the mean of their per-frame probabilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def mean_probabilities(
    members: Sequence[Mapping[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Video -> mean of the members' (frames, behaviours) probabilities.

    Only videos every member predicted are kept (all trials share the same folds, so for
    out-of-fold predictions this is every validated video).
    """
    if not members:
        return {}
    common = [v for v in members[0] if all(v in m for m in members[1:])]
    out: dict[str, np.ndarray] = {}
    for vid in common:
        arrays = [np.asarray(m[vid], dtype=np.float32) for m in members]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"video {vid}: members predicted different shapes {sorted(shapes)}")
        out[vid] = np.mean(arrays, axis=0)
    return out
