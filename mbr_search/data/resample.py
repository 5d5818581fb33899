"""Frame-rate conversion shared by pose features, labels and video embeddings.

Every per-frame stream of a video is sampled at the same instants ``k / target_fps``, taking
the source frame shown at that instant, so features and labels stay aligned frame by frame.
"""

from __future__ import annotations

import numpy as np


def frame_indices(n_source: int, source_fps: float, target_fps: float | None) -> np.ndarray:
    """Indices of the source frames shown at times ``0, 1/target, 2/target, ...``.

    ``target_fps`` None (or equal to the source rate) keeps every frame. Upsampling repeats
    frames. Instants run while t < duration, so 2,330 frames at 30 fps give 777 at 10 fps.
    """
    if n_source <= 0:
        return np.zeros(0, dtype=np.int64)
    if target_fps is None or abs(target_fps - source_fps) < 1e-9:
        return np.arange(n_source, dtype=np.int64)
    duration = n_source / source_fps
    n_target = max(1, int(np.ceil(duration * target_fps - 1e-9)))
    times = np.arange(n_target, dtype=np.float64) / target_fps
    idx = np.floor(times * source_fps + 1e-6).astype(np.int64)
    return np.clip(idx, 0, n_source - 1)
