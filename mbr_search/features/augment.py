"""Pose augmentation: pure transforms of keypoint arrays (no I/O, no global random state).

A transform is drawn once per augmented copy of a recording and applied to every frame:
a rotation about the arena centre and a mirror image (what another camera placement or a
mirrored arena would have recorded), a new order of the animals (the tracker's identities
are arbitrary), and Gaussian noise on each keypoint (tracking jitter). ``xy`` is always
``(frames, animals, keypoints, 2)`` with NaN for missing points, as in
:class:`mbr_search.data.pose.Pose`; NaN stays NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.config.augment import AugmentSettings


@dataclass(frozen=True)
class Transform:
    """One draw: angle (radians), mirror, animal order, noise (body lengths, per animal)."""

    angle: float
    mirror: bool
    order: tuple[int, ...]
    noise: tuple[float, ...]


def arena_centre(xy: np.ndarray) -> np.ndarray:
    """Middle of the 1-99 % box of every detected point (the box pose features use)."""
    pts = xy.reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return np.zeros(2)
    return (np.percentile(pts, 1, axis=0) + np.percentile(pts, 99, axis=0)) / 2.0


def rotate(xy: np.ndarray, angle: float, centre: np.ndarray) -> np.ndarray:
    """Every point turned by ``angle`` radians about ``centre``: distances are kept."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return (xy - centre) @ rot.T + centre


def reflect(xy: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The mirror image about the vertical line through ``centre`` (x -> 2 cx - x)."""
    out = np.array(xy, dtype=np.float64, copy=True)
    out[..., 0] = 2.0 * centre[0] - out[..., 0]
    return out


def reorder_animals(a: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """Animal ``order[i]`` becomes animal ``i`` (axis 1 of xy or likelihood)."""
    return a[:, list(order)]


def add_noise(xy: np.ndarray, sigma: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """Independent Gaussian noise of ``sigma[a]`` pixels on every coordinate of animal a."""
    scale = np.asarray(sigma, dtype=np.float64)[None, :, None, None]
    return xy + rng.standard_normal(xy.shape) * scale


def body_lengths(xy: np.ndarray, rear: Sequence[int], front: Sequence[int]) -> np.ndarray:
    """Median distance (pixels) between the rear and front axis points, per animal; the unit
    of the noise, so that it means the same at any camera resolution."""
    with warnings.catch_warnings():  # frames where an axis point is never seen: NaN, skipped
        warnings.simplefilter("ignore", RuntimeWarning)
        axis = np.nanmean(xy[:, :, list(front)], axis=2) - np.nanmean(xy[:, :, list(rear)], axis=2)
    length = np.linalg.norm(axis, axis=2)  # (frames, animals)
    out = np.array([np.nanmedian(c) if np.isfinite(c).any() else 0.0 for c in length.T])
    return np.nan_to_num(out, nan=0.0)


def draw(settings: AugmentSettings, n_animals: int, rng: np.random.Generator) -> Transform:
    """One random transform; every draw comes from ``rng`` (seeded by the caller)."""
    angle = float(rng.uniform(0.0, 2.0 * np.pi)) if settings.rotate else 0.0
    mirror = bool(rng.random() < 0.5) if settings.reflect else False
    order = tuple(range(n_animals))
    if settings.swap_identities and n_animals > 1:
        order = tuple(int(i) for i in rng.permutation(n_animals))
    return Transform(angle, mirror, order, (settings.noise,) * n_animals)


def apply(
    t: Transform,
    xy: np.ndarray,
    likelihood: np.ndarray,
    lengths: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """``(xy, likelihood)`` of the transformed recording (float32 xy, as read)."""
    out = np.asarray(xy, dtype=np.float64)
    centre = arena_centre(out)
    if t.angle:
        out = rotate(out, t.angle, centre)
    if t.mirror:
        out = reflect(out, centre)
    sigma = [n * float(length) for n, length in zip(t.noise, lengths, strict=True)]
    if any(sigma):
        out = add_noise(out, sigma, rng)
    # The order last: the noise scale belongs to the animal, not to its new position.
    out = reorder_animals(out, t.order)
    return out.astype(np.float32), reorder_animals(likelihood, t.order)
