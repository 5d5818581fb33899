"""Paired differences between the peers benchmark's arms on the same 5 test videos.

Five test videos are few: one model's score moves by 0.53-0.71 with the choice of 5 videos
(measured), so a gap between two arms means little without the interval of the *paired*
difference. Both arms are scored on the same resampled videos in every draw (the package's
``mbr_search.scoring.bootstrap.difference``: pooled mean PR-AUC, 90 % percentile interval
over 2,000 draws of videos with replacement), and a difference whose interval straddles zero
is "no evidence", however large it looks.

With 5 videos a draw holds at most 5 distinct ones, so these intervals are rough (and
narrower than the truth when one video dominates); they are reported beside the nested
yardstick's 20-video intervals, not instead of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: (a, b): a - b. mbr-search's shipped study against every peer, and DLC2Action's search
#: against its defaults (does its own search pay at this budget?)
PAIRS: tuple[tuple[str, str], ...] = (
    ("mbr_auto_pose_ensemble", "dlc2action_default"),
    ("mbr_auto_pose_ensemble", "dlc2action_search"),
    ("mbr_auto_pose_ensemble", "hgb_baseline"),
    ("mbr_auto_pose_ensemble", "simba_rf"),
    ("mbr_auto_pose_best", "dlc2action_default"),
    ("mbr_auto_pose_best", "hgb_baseline"),
    ("dlc2action_default", "hgb_baseline"),
    ("dlc2action_search", "dlc2action_default"),
)


def verdict(low: float, high: float) -> str:
    if low > 0:
        return "a better"
    return "b better" if high < 0 else "no evidence"


def paired_differences(
    truth: dict[str, np.ndarray], test_probs: dict[str, dict[str, np.ndarray]]
) -> list[dict[str, Any]]:
    """One row per pair in :data:`PAIRS` whose two arms both have test probabilities;
    ``test_probs``: {arm: {video: (frames, behaviours) probabilities}}."""
    from mbr_search.scoring.bootstrap import difference

    rows = []
    for a, b in PAIRS:
        if a not in test_probs or b not in test_probs:
            continue
        shared = sorted(set(test_probs[a]) & set(test_probs[b]))
        if not shared:
            continue
        labels = {v: truth[v] for v in shared}
        value, iv = difference(
            labels,
            {v: test_probs[a][v] for v in shared},
            {v: test_probs[b][v] for v in shared},
        )
        row: dict[str, Any] = {"a": a, "b": b, "videos": len(shared), "value": value}
        row["interval"] = None if iv is None else iv.to_json()
        row["verdict"] = "no interval" if iv is None else verdict(iv.low, iv.high)
        rows.append(row)
    return rows
