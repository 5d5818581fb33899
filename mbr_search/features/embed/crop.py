"""Where to crop each frame (from the pose) and how (square, padded at the borders, resized).

The crop centre is the centroid of the chosen keypoints that pass the likelihood threshold
in that frame (thesis §3.1: the DeepLabCut midbody). Frames with no trusted keypoint take a
centre linearly interpolated between the nearest trusted frames; before the first / after
the last trusted frame the nearest trusted centre is held.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mbr_search.config.embed import PAD_VALUE, CropSettings
from mbr_search.data.pose import Pose
from mbr_search.errors import DataError


@dataclass(frozen=True)
class CentreTrack:
    """Crop centres for every source frame of a video."""

    #: (frames, 2) float64 x, y in source pixels; None when the pose has no trusted point
    xy: np.ndarray | None
    #: frames whose centre was interpolated or held rather than observed
    n_filled: int
    keypoints: tuple[str, ...]
    individual: str


def crop_centres(pose: Pose, crop: CropSettings, n_frames: int) -> CentreTrack:
    """Centres for frames ``0 .. n_frames-1`` of the video ``pose`` belongs to.

    A pose shorter than the video holds its last centre; a longer one is cut. Callers check
    the length difference against the dataset's tolerance first.
    """
    names = crop.keypoints if crop.keypoints is not None else pose.keypoints
    missing = [k for k in names if k not in pose.keypoints]
    if missing:
        raise DataError(
            f"{pose.source}: keypoint(s) {missing} not in the pose file; available: "
            f"{list(pose.keypoints)}. Fix: choose crop keypoints from those "
            "(--keypoints a,b or features.crop.keypoints)."
        )
    idx = [pose.keypoints.index(k) for k in names]
    xy = pose.xy[:n_frames, 0, idx, :].astype(np.float64)  # (T, K, 2), first animal
    lik = pose.likelihood[:n_frames, 0, idx]
    trusted = (lik >= crop.likelihood_threshold) & np.isfinite(xy).all(axis=-1)
    counts = trusted.sum(axis=1)
    observed = counts > 0
    individual = pose.individuals[0] if pose.individuals else "single"
    if not observed.any():
        return CentreTrack(None, n_frames, tuple(names), individual)
    sums = np.where(trusted[..., None], xy, 0.0).sum(axis=1)
    centre = np.zeros((n_frames, 2), dtype=np.float64)
    frames = np.flatnonzero(observed)
    means = sums[frames] / counts[frames, None]
    everything = np.arange(n_frames)
    # np.interp holds the end values outside the observed range: what "held" means above.
    centre[:, 0] = np.interp(everything, frames, means[:, 0])
    centre[:, 1] = np.interp(everything, frames, means[:, 1])
    return CentreTrack(centre, n_frames - len(frames), tuple(names), individual)


def crop_square(frame: np.ndarray, cx: float, cy: float, size: int) -> np.ndarray:
    """The ``size`` x ``size`` window centred on (cx, cy); outside the frame is PAD_VALUE.

    The window starts at ``round(c) - size // 2``, so a centre on pixel (x, y) lands on
    pixel (size // 2, size // 2) of the crop.
    """
    height, width = frame.shape[:2]
    x0 = int(np.floor(cx + 0.5)) - size // 2
    y0 = int(np.floor(cy + 0.5)) - size // 2
    if x0 >= 0 and y0 >= 0 and x0 + size <= width and y0 + size <= height:
        return frame[y0 : y0 + size, x0 : x0 + size]
    out = np.full((size, size, *frame.shape[2:]), PAD_VALUE, dtype=frame.dtype)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + size, width), min(y0 + size, height)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    return out


def full_square(frame: np.ndarray) -> np.ndarray:
    """The whole frame padded (centred) to a square, so resizing keeps its aspect ratio."""
    height, width = frame.shape[:2]
    side = max(height, width)
    return crop_square(frame, (width - 1) / 2, (height - 1) / 2, side)


def resize_to(image: np.ndarray, side: int) -> np.ndarray:
    """Resize a square image to the backbone's input side (area filter when shrinking)."""
    if image.shape[0] == side and image.shape[1] == side:
        return image
    shrinking = image.shape[0] > side
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (side, side), interpolation=interpolation)
