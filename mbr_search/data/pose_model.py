"""The pose of one video as every reader returns it, whatever tool wrote the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mbr_search.errors import DataError


@dataclass(frozen=True)
class Pose:
    """Keypoints of one video. Missing points are NaN in ``xy``."""

    xy: np.ndarray  # (frames, animals, keypoints, 2) float32
    likelihood: np.ndarray  # (frames, animals, keypoints) float32
    individuals: tuple[str, ...]
    keypoints: tuple[str, ...]
    source: Path
    #: which format and reader produced it, e.g. "sleap via movement 0.15.0" (for messages)
    reader: str = ""

    @property
    def n_frames(self) -> int:
        return int(self.xy.shape[0])

    def select(self, keypoints: tuple[str, ...]) -> Pose:
        """Keep only ``keypoints`` (in that order); unknown names are a DataError."""
        missing = [k for k in keypoints if k not in self.keypoints]
        if missing:
            raise DataError(
                f"{self.source}: keypoint(s) {missing} not in the pose file; available: "
                f"{list(self.keypoints)}. Fix: use those names in the dataset's pose.keypoints."
            )
        idx = [self.keypoints.index(k) for k in keypoints]
        return Pose(
            self.xy[:, :, idx],
            self.likelihood[:, :, idx],
            self.individuals,
            keypoints,
            self.source,
            self.reader,
        )


def pose_from_frame(frame: pd.DataFrame, path: Path, reader: str) -> Pose:
    """A :class:`Pose` from a DeepLabCut-style table: columns (individual, bodypart, coord)."""
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        # frame[key] would then be a table, not a column: a numpy traceback further on
        raise DataError(
            f"{path}: the column {'/'.join(map(str, repeated[0]))} appears twice. Fix: "
            "re-export the pose file; each keypoint coordinate must appear once."
        )
    individuals = list(dict.fromkeys(frame.columns.get_level_values(0)))
    keypoints = list(dict.fromkeys(frame.columns.get_level_values(1)))
    n = len(frame)
    xy = np.full((n, len(individuals), len(keypoints), 2), np.nan, dtype=np.float32)
    lik = np.zeros((n, len(individuals), len(keypoints)), dtype=np.float32)
    found_any = False
    for a, ind in enumerate(individuals):
        for k, kp in enumerate(keypoints):
            for ci, coord in enumerate(("x", "y")):
                key = (ind, kp, coord)
                if key in frame.columns:
                    xy[:, a, k, ci] = frame[key].to_numpy(dtype=np.float32)
                    found_any = True
            if (ind, kp, "likelihood") in frame.columns:
                lik[:, a, k] = np.nan_to_num(
                    frame[(ind, kp, "likelihood")].to_numpy(dtype=np.float32), nan=0.0
                )
            else:
                lik[:, a, k] = np.where(np.isfinite(xy[:, a, k, 0]), 1.0, 0.0)
    if not found_any or n == 0:
        raise DataError(f"{path}: the pose file has no x/y values. Fix: check the export.")
    return Pose(xy, lik, tuple(individuals), tuple(keypoints), path, reader)
