"""Per-frame probabilities from trained models, cut into sequences exactly as in the search.

The search scored validation videos cut into ``seq_len`` sequences (zero state at each cut);
thresholds and post-processing were tuned on those predictions, so test videos and new
videos are predicted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mbr_search.evaluate.model_dir import Member
from mbr_search.features.store import VideoData
from mbr_search.training.sequences import Standardiser, cut, unpad


def predict_member(
    member: Member,
    nets: Sequence[Any],
    scaler: Standardiser,
    video: VideoData,
    n_behaviours: int,
) -> np.ndarray:
    """(frames, behaviours) float32 probabilities of one member on one video."""
    data = cut([video], member.params.seq_len, scaler)
    out = np.zeros((len(data.x), member.params.seq_len, n_behaviours), dtype=np.float32)
    for group, net in zip(member.groups, nets, strict=True):
        pred = net.predict(data.x, batch_size=max(member.params.batch_size, 32), verbose=0)
        for j, col in enumerate(group.columns):
            out[..., col] = pred[..., j]
    return unpad(out, data, video.id)


def predict_videos(
    members: Sequence[Member],
    nets: Sequence[Sequence[Any]],
    scaler: Standardiser,
    videos: Sequence[VideoData],
    n_behaviours: int,
) -> dict[str, np.ndarray]:
    """Video id -> (frames, behaviours) probabilities, averaged over members (ensemble)."""
    out: dict[str, np.ndarray] = {}
    for video in videos:
        probs = [
            predict_member(m, n, scaler, video, n_behaviours)
            for m, n in zip(members, nets, strict=True)
        ]
        out[video.id] = np.mean(probs, axis=0).astype(np.float32)
    return out
