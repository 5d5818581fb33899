"""Which group each feature column belongs to: the units permutation importance permutes.

Pose features (the column order of :func:`mbr_search.features.pose_features.pose_features`,
per animal, then per ordered pair of animals):

- ``posture``: egocentric keypoint coordinates (x of every keypoint, then y);
- ``distances``: inter-keypoint distances and the body-length ratio;
- ``speed``: centre speed, forward and sideways speed, turning rate, per-keypoint speed;
- ``angles``: the heading (cos, sin);
- ``position``: position in the arena and distance to the nearest wall;
- ``missing keypoints``: the per-keypoint missing mask;
- ``pair features``: distance, relative position and heading, closest keypoints and
  approach speed of every ordered pair of animals.

A CNN embedding is one group, ``CNN embedding``. Window statistics (``features/windows.py``)
belong to their base group times their window (``speed · 1.5 s window``): a window column is
a statistic of one base column, so "speed over 1.5 s" is a finer answer than "window
statistics". The frame's own columns (``raw: true``) keep their base group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mbr_search.config.windows import WindowSettings

POSTURE = "posture"
DISTANCES = "distances"
SPEED = "speed"
ANGLES = "angles"
POSITION = "position"
MISSING = "missing keypoints"
PAIR = "pair features"
EMBEDDING = "CNN embedding"
#: every window column at once: what all windows together carry beyond the frame's own
WINDOW_STATISTICS = "window statistics"
_WINDOW_MARK = " s window"
#: columns of each ordered pair of animals (pose_features: dist, ox, oy, cos, sin, closest,
#: approach speed)
PAIR_COLUMNS = 7


def pose_column_groups(n_keypoints: int, n_animals: int) -> tuple[str, ...]:
    """One group name per pose-feature column, in :func:`pose_features`' order."""
    k = n_keypoints
    per_animal = (
        [POSTURE] * (2 * k)  # ego_x, ego_y
        + [DISTANCES] * (k * (k - 1) // 2)  # inter-keypoint distances
        + [DISTANCES, SPEED, SPEED, SPEED, SPEED, ANGLES, ANGLES]  # body_len .. sin_h
        + [SPEED] * k  # log1p per-keypoint speed
        + [MISSING] * k
        + [POSITION] * 3  # x, y in the arena, nearest wall
    )
    pairs = [PAIR] * (PAIR_COLUMNS * n_animals * (n_animals - 1))
    return tuple(per_animal * n_animals + pairs)


def embedding_column_groups(dim: int) -> tuple[str, ...]:
    return (EMBEDDING,) * dim


def window_group(base: str, seconds: float) -> str:
    return f"{base} · {seconds:g}{_WINDOW_MARK}"


def windowed_column_groups(base: Sequence[str], windows: WindowSettings | None) -> tuple[str, ...]:
    """The groups of ``base`` columns followed by their window statistics, in the order of
    :func:`mbr_search.features.windows.window_blocks` (raw, then per window per statistic)."""
    if windows is None:
        return tuple(base)
    out = list(base) if windows.raw else []
    for seconds in windows.seconds:
        for _stat in windows.stat_columns:
            out += [window_group(b, seconds) for b in base]
    return tuple(out)


def group_columns(names: Sequence[str]) -> dict[str, np.ndarray]:
    """Group name -> its column indices, groups in order of first appearance."""
    out: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        out.setdefault(name, []).append(i)
    return {name: np.asarray(cols, dtype=np.int64) for name, cols in out.items()}


def importance_groups(names: Sequence[str]) -> dict[str, np.ndarray]:
    """:func:`group_columns` plus :data:`WINDOW_STATISTICS` (all window columns) when there
    are window columns: the groups permutation importance permutes, one at a time."""
    groups = group_columns(names)
    windowed = [i for i, name in enumerate(names) if name.endswith(_WINDOW_MARK)]
    if windowed:
        groups[WINDOW_STATISTICS] = np.asarray(windowed, dtype=np.int64)
    return groups
