"""The per-frame CSV that ``evaluate`` (test videos) and ``predict`` (new videos) write:
probabilities and decisions, one row a frame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mbr_search._atomic import atomic_path
from mbr_search.scoring.labelled import known


def write_frames_csv(
    path: Path,
    behaviours: Sequence[str],
    fps: float,
    probs: np.ndarray,
    raw: np.ndarray,
    post: np.ndarray,
    labels: np.ndarray | None = None,
    source_frames: np.ndarray | None = None,
) -> Path:
    """One row per frame: ``frame, time_s[, source_frame]`` then per behaviour
    ``b_true`` (when labels are known; empty where a frame is not labelled), ``b_prob``,
    ``b_pred_raw``, ``b_pred``."""
    import pandas as pd

    n = len(probs)
    columns: dict[str, np.ndarray] = {
        "frame": np.arange(n),
        "time_s": np.round(np.arange(n) / fps, 4),
    }
    if source_frames is not None:
        columns["source_frame"] = source_frames
    for c, b in enumerate(behaviours):
        if labels is not None:
            # a frame nobody labelled has an empty cell (never a 0: that is a negative)
            columns[f"{b}_true"] = np.where(known(labels[:, c]), labels[:, c].astype(str), "")
        columns[f"{b}_prob"] = np.round(probs[:, c].astype(np.float64), 5)
        columns[f"{b}_pred_raw"] = raw[:, c].astype(np.uint8)
        columns[f"{b}_pred"] = post[:, c].astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, fix="free disk space or choose another --out") as tmp:
        pd.DataFrame(columns).to_csv(tmp, index=False)
    return path
