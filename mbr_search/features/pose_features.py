"""Per-frame features computed from DeepLabCut keypoints (the ``pose`` backbone).

For each animal: keypoints in an egocentric frame (centred on the body, rotated onto the
body axis, scaled by the median body length), inter-keypoint distances, body-length ratio
(a rearing mouse seen from above looks shorter), speeds, turning rate, position in the arena
and distance to the nearest wall (wall vs mid rearing), and a missing-keypoint mask. With
several animals, relative features for each ordered pair are appended.
"""

from __future__ import annotations

import numpy as np

from mbr_search.config.dataset import PoseSettings
from mbr_search.data.pose import Pose
from mbr_search.errors import DataError

FEATURE_VERSION = 1
_EPS = 1e-6


def interpolate_gaps(xy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of ``xy`` (T, K, 2) where ``valid`` (T, K) is False.

    Leading/trailing gaps take the nearest valid value; a keypoint never seen is 0.
    """
    out = np.zeros_like(xy, dtype=np.float64)
    t = np.arange(xy.shape[0])
    for k in range(xy.shape[1]):
        ok = valid[:, k]
        if not ok.any():
            continue
        for c in range(2):
            out[:, k, c] = np.interp(t, t[ok], xy[ok, k, c])
    return out


def axis_points(keypoints: tuple[str, ...], settings: PoseSettings) -> tuple[list[int], list[int]]:
    """(rear, front) keypoint indices of the body axis (also the augmentation's body length)."""
    if settings.axis is not None:
        rear, front = settings.axis
        for name in (rear, front):
            if name not in keypoints:
                raise DataError(
                    f"pose.axis keypoint '{name}' is not among {list(keypoints)}. "
                    "Fix: set pose.axis in the dataset file to two existing keypoints."
                )
        return [keypoints.index(rear)], [keypoints.index(front)]
    # DeepLabCut configs list head points first by convention: front half -> rear half.
    half = max(1, len(keypoints) // 2)
    front_idx = list(range(half))
    rear_idx = list(range(len(keypoints) - half, len(keypoints)))
    return rear_idx, front_idx


def _animal_features(
    xy: np.ndarray, valid: np.ndarray, rear: list[int], front: list[int], fps: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    _t_len, k_len, _ = xy.shape
    filled = interpolate_gaps(xy, valid)
    centre = filled.mean(axis=1)
    axis_vec = filled[:, front].mean(axis=1) - filled[:, rear].mean(axis=1)
    body_len = np.linalg.norm(axis_vec, axis=1)
    seen = valid.any(axis=1)
    scale = float(np.median(body_len[seen])) if seen.any() else 1.0
    if not np.isfinite(scale) or scale < _EPS:
        spread = np.linalg.norm(filled - centre[:, None], axis=2).mean()
        scale = float(spread) if spread > _EPS else 1.0
    heading = np.arctan2(axis_vec[:, 1], axis_vec[:, 0])
    cos_h, sin_h = np.cos(heading), np.sin(heading)
    rel = (filled - centre[:, None]) / scale
    ego_x = rel[..., 0] * cos_h[:, None] + rel[..., 1] * sin_h[:, None]
    ego_y = -rel[..., 0] * sin_h[:, None] + rel[..., 1] * cos_h[:, None]
    iu = np.triu_indices(k_len, 1)
    dists = np.linalg.norm(filled[:, iu[0]] - filled[:, iu[1]], axis=2) / scale
    velocity = np.gradient(centre, axis=0) * fps / scale
    speed = np.linalg.norm(velocity, axis=1)
    # velocity in the body frame: forward vs sideways motion
    fwd = velocity[:, 0] * cos_h + velocity[:, 1] * sin_h
    side = -velocity[:, 0] * sin_h + velocity[:, 1] * cos_h
    turn = np.gradient(np.unwrap(heading)) * fps
    kp_speed = np.linalg.norm(np.gradient(filled, axis=0), axis=2) * fps / scale
    columns = [
        ego_x, ego_y, dists,
        np.stack([body_len / scale, speed, fwd, side, turn, cos_h, sin_h], axis=1),
        np.log1p(kp_speed),
        (~valid).astype(np.float64),
    ]  # fmt: skip
    feats = np.concatenate(columns, axis=1)
    return feats, {"centre": centre, "heading": heading, "scale": np.array(scale), "pts": filled}


def pose_features(pose: Pose, settings: PoseSettings, fps: float) -> tuple[np.ndarray, int]:
    """(frames, dim) float32 features at the pose's own frame rate, and the feature count."""
    if settings.keypoints is not None:
        pose = pose.select(settings.keypoints)
    rear, front = axis_points(pose.keypoints, settings)
    arena_pts = pose.xy.reshape(-1, 2)
    arena_pts = arena_pts[np.isfinite(arena_pts).all(axis=1)]
    if len(arena_pts) == 0:
        raise DataError(
            f"{pose.source}: no keypoint is ever detected. Fix: check the pose file and "
            "pose.likelihood_threshold."
        )
    lo = np.percentile(arena_pts, 1, axis=0)
    hi = np.percentile(arena_pts, 99, axis=0)
    span = np.maximum(hi - lo, _EPS)
    blocks: list[np.ndarray] = []
    animals: list[dict[str, np.ndarray]] = []
    for a in range(pose.xy.shape[1]):
        xy = pose.xy[:, a].astype(np.float64)
        valid = np.isfinite(xy).all(axis=2) & (
            pose.likelihood[:, a] >= settings.likelihood_threshold
        )
        feats, info = _animal_features(xy, valid, rear, front, fps)
        pos = (info["centre"] - lo) / span
        wall = np.min(np.concatenate([pos, 1 - pos], axis=1), axis=1, keepdims=True)
        blocks += [feats, pos, wall]
        animals.append(info)
    for a, me in enumerate(animals):
        for b, other in enumerate(animals):
            if a == b:
                continue
            delta = (other["centre"] - me["centre"]) / me["scale"]
            ch, sh = np.cos(me["heading"]), np.sin(me["heading"])
            ox = delta[:, 0] * ch + delta[:, 1] * sh
            oy = -delta[:, 0] * sh + delta[:, 1] * ch
            rel_h = other["heading"] - me["heading"]
            pair = np.linalg.norm(me["pts"][:, :, None] - other["pts"][:, None], axis=3)
            closest = pair.reshape(len(pair), -1).min(axis=1) / me["scale"]
            dist = np.hypot(ox, oy)
            blocks.append(
                np.stack(
                    [dist, ox, oy, np.cos(rel_h), np.sin(rel_h), closest, np.gradient(dist) * fps],
                    axis=1,
                )
            )
    out = np.concatenate(blocks, axis=1)
    # Clip extreme values (tracking jumps) so float16 storage and training stay sane.
    out = np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), -1e3, 1e3)
    return out.astype(np.float32), out.shape[1]
