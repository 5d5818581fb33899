"""Per-frame probabilities from trained models, cut into sequences exactly as in the search.

The search scored validation videos cut into ``seq_len`` sequences (zero state at each cut);
thresholds and post-processing were tuned on those predictions, so test videos and new
videos are predicted the same way. A member with window features gets them computed from the
base features it is given (the trial's window set, counted at its training fps) and is
standardised with its own statistics: ``evaluate``'s test videos and ``predict``'s inputs
go through this one path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mbr_search.errors import DataError
from mbr_search.features.store import VideoData, with_windows
from mbr_search.inference.model_dir import Member
from mbr_search.inference.model_features import FrameWindows
from mbr_search.training.sequences import Standardiser


def predict_member(
    member: Member,
    nets: Sequence[object],
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
    nets: Sequence[Sequence[object]],
    scaler: Standardiser,
    videos: Sequence[VideoData],
    n_behaviours: int,
) -> dict[str, np.ndarray]:
    """Video id -> (frames, behaviours) probabilities, the members' weighted mean (equal
    weights unless ensemble selection set them). ``videos`` hold the base features and
    ``scaler`` is their standardiser; members with windows use their own."""
    out: dict[str, np.ndarray] = {}
    weights = member_weights(members)
    for video in videos:
        probs = member_probabilities(members, nets, scaler, video, n_behaviours)
        out[video.id] = np.tensordot(weights, probs, axes=1).astype(np.float32)
    return out


def member_weights(members: Sequence[Member]) -> np.ndarray:
    """Each member's share of the ensemble mean (summing to 1)."""
    weights = np.array([m.weight for m in members], dtype=np.float64)
    return weights / weights.sum()


def member_probabilities(
    members: Sequence[Member],
    nets: Sequence[Sequence[object]],
    scaler: Standardiser,
    video: VideoData,
    n_behaviours: int,
) -> np.ndarray:
    """(members, frames, behaviours) float32: every member's own probabilities on one video
    (``suggest`` reads their spread; :func:`predict_videos` their weighted mean)."""
    views: dict[FrameWindows, VideoData] = {}  # each window set computed once per video
    probs = []
    for m, n in zip(members, nets, strict=True):
        seen = video
        if m.windows is not None:
            if m.windows not in views:
                views[m.windows] = with_windows(video, m.windows.settings, m.windows.fps)
            seen = views[m.windows]
        probs.append(predict_member(m, n, m.scaler or scaler, seen, n_behaviours))
    return np.stack(probs)
