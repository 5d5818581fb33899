"""Per-frame probabilities from trained models, cut into sequences exactly as in the search.

The search scored validation videos cut into ``seq_len`` sequences (zero state at each cut);
thresholds and post-processing were tuned on those predictions, so test videos and new
videos are predicted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate.model_dir import Member
from mbr_search.features.store import VideoData
from mbr_search.training.sequences import Standardiser


def predict_member(
    member: Member,
    nets: Sequence[Any],
    scaler: Standardiser,
    video: VideoData,
    n_behaviours: int,
) -> np.ndarray:
    """(frames, behaviours) float32 probabilities of one member on one video, predicted by
    its family's trainer exactly as in the search (sequences cut the same way)."""
    from mbr_search.training.trainers import trainer_for

    trainer = trainer_for(
        member.params, [str(i) for i in range(n_behaviours)], n_features=0, seed=0
    )
    by_group = {}
    for g, group, net in zip(trainer.groups, member.groups, nets, strict=True):
        if g.columns != group.columns:
            raise DataError(
                f"model file {group.file} predicts columns {list(group.columns)}, its family "
                f"expects {list(g.columns)}. Fix: re-run `mbr-search evaluate`."
            )
        by_group[g.name] = net
    return np.asarray(trainer.predict(by_group, video, scaler), dtype=np.float32)


def predict_videos(
    members: Sequence[Member],
    nets: Sequence[Sequence[Any]],
    scaler: Standardiser,
    videos: Sequence[VideoData],
    n_behaviours: int,
) -> dict[str, np.ndarray]:
    """Video id -> (frames, behaviours) probabilities, the members' weighted mean (equal
    weights unless ensemble selection set them)."""
    out: dict[str, np.ndarray] = {}
    for video in videos:
        probs = [
            predict_member(m, n, scaler, video, n_behaviours)
            for m, n in zip(members, nets, strict=True)
        ]
        weights = np.array([m.weight for m in members], dtype=np.float64)
        mean = np.tensordot(weights / weights.sum(), np.stack(probs), axes=1)
        out[video.id] = mean.astype(np.float32)
    return out
