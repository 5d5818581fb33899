from __future__ import annotations

import numpy as np
import pytest
from conftest import RAT_MINI

from mbr_search.config.dataset import PoseSettings
from mbr_search.data.pose import Pose, read_pose
from mbr_search.features.pose_features import interpolate_gaps, pose_features


def _pose(xy: np.ndarray) -> Pose:
    lik = np.ones(xy.shape[:3], dtype=np.float32)
    names = tuple(f"k{i}" for i in range(xy.shape[2]))
    return Pose(xy.astype(np.float32), lik, ("a",), names, RAT_MINI)


def _walk(seed: int = 0, frames: int = 200, k: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    body = np.stack([np.linspace(0, 20, k), rng.normal(0, 2, k)], axis=1)
    centre = np.cumsum(rng.normal(0, 1, (frames, 2)), axis=0) + 200
    angle = np.cumsum(rng.normal(0, 0.05, frames))
    rot = np.stack(
        [np.stack([np.cos(angle), -np.sin(angle)], 1), np.stack([np.sin(angle), np.cos(angle)], 1)],
        1,
    )
    pts = np.einsum("tij,kj->tki", rot, body) + centre[:, None]
    return pts[:, None]  # (T, 1, K, 2)


def test_egocentric_features_ignore_rotation_translation_and_scale() -> None:
    xy = _walk()
    settings = PoseSettings(axis=("k4", "k0"))
    base, _ = pose_features(_pose(xy), settings, fps=10)
    theta = 1.1
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    moved = 2.5 * np.einsum("ij,takj->taki", rot, xy) + np.array([300.0, -40.0])
    other, _ = pose_features(_pose(moved), settings, fps=10)
    k = 5
    n_ego = 2 * k + k * (k - 1) // 2 + 1  # ego x, ego y, distances, body-length ratio
    np.testing.assert_allclose(base[:, :n_ego], other[:, :n_ego], atol=1e-4)
    # speed in body lengths per second: also scale-free
    np.testing.assert_allclose(base[:, n_ego], other[:, n_ego], atol=1e-3)


def test_gaps_are_interpolated_and_flagged() -> None:
    xy = _walk(frames=50)
    holes = xy.copy()
    holes[10:20, 0, 2] = np.nan
    feats, _ = pose_features(_pose(holes), PoseSettings(axis=("k4", "k0")), fps=10)
    assert np.isfinite(feats).all()
    k = 5
    mask_cols = feats[:, -(k + 3) : -3]  # missing mask sits before position (2) and wall (1)
    assert mask_cols[10:20, 2].tolist() == [1.0] * 10
    assert mask_cols[:10].sum() == 0 and mask_cols[20:].sum() == 0
    filled = interpolate_gaps(holes[:, 0].astype(np.float64), np.isfinite(holes[:, 0, :, 0]))
    np.testing.assert_allclose(filled[15, 2], (holes[9, 0, 2] + holes[20, 0, 2]) / 2, atol=1.0)


def test_low_likelihood_points_count_as_missing() -> None:
    xy = _walk(frames=30)
    pose = _pose(xy)
    lik = pose.likelihood.copy()
    lik[5, 0, 1] = 0.1
    pose = Pose(pose.xy, lik, pose.individuals, pose.keypoints, pose.source)
    feats, _ = pose_features(pose, PoseSettings(likelihood_threshold=0.5), fps=10)
    assert feats[5, -(5 + 3) + 1] == 1.0


def test_multi_animal_real_pose_has_pair_features() -> None:
    pose = read_pose(
        RAT_MINI.parent / "dlc" / "1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
    )
    feats, dim = pose_features(
        pose, PoseSettings(axis=("tail", "top"), likelihood_threshold=0.3), fps=30
    )
    k = 5
    per_animal = 2 * k + k * (k - 1) // 2 + 7 + k + k + 3
    assert dim == 2 * per_animal + 2 * 7
    assert feats.shape == (4500, dim) and np.isfinite(feats).all()


def test_unknown_axis_keypoint_is_a_clear_error() -> None:
    from mbr_search.errors import DataError

    with pytest.raises(DataError, match="pose.axis keypoint 'nose' is not among"):
        pose_features(_pose(_walk(frames=10)), PoseSettings(axis=("k0", "nose")), fps=10)
