"""Augmented copies of training videos, made from the raw keypoints as a user would.

Each copy is one random transform (:mod:`mbr_search.features.augment`) of the video's
keypoints, passed through the same pose-feature computation, resampling to the study fps
and window statistics as the video itself, with the video's own labels. Copies live in
memory only (they differ per trial and fold) and are seeded explicitly: the same seed
gives the same copies, in the search and in retraining.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from mbr_search.config.dataset import PoseSettings
from mbr_search.config.study import StudyConfig
from mbr_search.config.windows import WindowSettings
from mbr_search.data.pose import Pose, read_pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError
from mbr_search.features import augment
from mbr_search.features.pose_features import axis_points, pose_features
from mbr_search.features.store import VideoData
from mbr_search.features.windows import window_features

#: Marks an augmented copy's id (``rat01~aug0``); never a video id of a dataset.
COPY_MARK = "~aug"


class Augmenter:
    """Makes the augmented copies of a study's training videos for one window choice."""

    def __init__(self, study: StudyConfig, windows: WindowSettings | None) -> None:
        self.study = study
        self.windows = windows
        self.entries = {v.id: v for v in study.dataset.videos}
        # Raw keypoints are read once per process: every fold of every trial reuses them.
        self._poses: dict[str, Pose] = {}

    def copies(self, videos: Sequence[VideoData], seed: int) -> list[VideoData]:
        """``settings.copies`` augmented copies of each of ``videos`` (training videos only;
        the caller never passes validation or test videos)."""
        out = []
        for video in videos:
            for k in range(self.study.augment.copies):
                # One generator per (seed, copy, video): independent of the fold's order.
                rng = np.random.default_rng([seed, k, zlib.crc32(video.id.encode())])
                out.append(self._copy(video, k, rng))
        return out

    def _pose(self, video_id: str) -> Pose:
        if video_id not in self._poses:
            entry = self.entries[video_id]
            if entry.pose is None:
                raise DataError(f"video '{video_id}' has no pose file to augment.")
            pose = read_pose(entry.pose, entry.pose_format)
            keypoints = self.study.dataset.pose.keypoints
            self._poses[video_id] = pose.select(keypoints) if keypoints else pose
        return self._poses[video_id]

    def _copy(self, video: VideoData, k: int, rng: np.random.Generator) -> VideoData:
        entry = self.entries[video.id]
        pose = self._pose(video.id)
        t = augment.draw(self.study.augment, pose.xy.shape[1], rng)
        x = transformed_features(pose, t, self.study.dataset.pose, entry.fps, self.study.fps, rng)
        if self.windows is not None:
            fps = self.study.fps or entry.fps
            x = window_features(x, fps, self.windows).astype(np.float16)
        if len(x) != video.n_frames:
            raise DataError(
                f"video '{video.id}': an augmented copy has {len(x)} frames, the video "
                f"{video.n_frames}. Fix: delete its cache entries and re-run."
            )
        return VideoData(f"{video.id}{COPY_MARK}{k}", video.split, x, video.labels, True)


def transformed_features(
    pose: Pose,
    t: augment.Transform,
    settings: PoseSettings,
    source_fps: float,
    fps: float | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """(frames, dim) float16 base features of ``pose`` moved by ``t``: the video's own
    pipeline (pose features at ``source_fps``, resampled to ``fps``, float16 like the
    cache), so the identity transform gives the cached features exactly. ``pose`` holds
    the keypoints of ``settings`` (its body axis sets the noise scale). Training copies
    draw ``t`` at random; test-time augmentation (``inference/tta.py``) uses fixed ones."""
    rear, front = axis_points(pose.keypoints, settings)
    lengths = augment.body_lengths(pose.xy, rear, front)
    xy, likelihood = augment.apply(t, pose.xy, pose.likelihood, lengths, rng)
    moved = Pose(xy, likelihood, pose.individuals, pose.keypoints, pose.source)
    feats, _ = pose_features(moved, settings, source_fps)
    return feats[frame_indices(len(feats), source_fps, fps)].astype(np.float16)
