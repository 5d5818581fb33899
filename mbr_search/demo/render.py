"""Drawing the synthetic open field (top view) and the matching DeepLabCut-style keypoints."""

from __future__ import annotations

import numpy as np

from mbr_search.demo.script import Geometry, Script

KEYPOINTS = ("nose", "left_ear", "right_ear", "neck", "midbody", "tailbase", "tail_tip")

_FLOOR, _OUTSIDE, _WALL = 236, 150, 90
_BODY, _HEAD, _EAR, _TAIL = 48, 38, 70, 95


def background(geometry: Geometry) -> np.ndarray:
    """The empty arena: white floor inside dark walls, grey outside. (size, size, 3) uint8."""
    import cv2

    size, m = geometry.size, int(geometry.margin)
    image = np.full((size, size, 3), _OUTSIDE, dtype=np.uint8)
    cv2.rectangle(image, (m, m), (size - 1 - m, size - 1 - m), (_FLOOR,) * 3, thickness=-1)
    cv2.rectangle(image, (m, m), (size - 1 - m, size - 1 - m), (_WALL,) * 3, thickness=2)
    # faint fixed texture so the floor is not perfectly flat, like real footage
    noise = np.random.default_rng(size).normal(0.0, 2.0, size=(size, size, 1))
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def body_points(script: Script, geometry: Geometry, t: int) -> dict[str, np.ndarray]:
    """True (noise-free) keypoint positions at frame ``t``, in pixels."""
    length = geometry.body * script.length[t]
    head = script.heading[t]
    forward = np.array([np.cos(head), np.sin(head)])
    side = np.array([-forward[1], forward[0]])
    mid = np.array([script.x[t], script.y[t]])
    # when rearing the head comes up over the body: it shortens less than the trunk
    nose = mid + forward * 0.5 * length
    neck = mid + forward * 0.27 * length
    tailbase = mid - forward * 0.5 * length
    wiggle = 0.35 * np.sin(2 * np.pi * 0.7 * script.phase[t])
    tail_dir = -forward * np.cos(wiggle) + side * np.sin(wiggle)
    ear = 0.09 * geometry.body
    return {
        "nose": nose,
        "left_ear": neck + side * ear,
        "right_ear": neck - side * ear,
        "neck": neck,
        "midbody": mid,
        "tailbase": tailbase,
        "tail_tip": tailbase + tail_dir * 0.75 * geometry.body,
    }


def draw(canvas: np.ndarray, points: dict[str, np.ndarray], geometry: Geometry) -> None:
    """Draw the mouse described by ``points`` onto ``canvas`` in place."""
    import cv2

    scale = 4  # sub-pixel precision: cv2 draws with `shift` fractional bits
    body = geometry.body

    def p(v: np.ndarray) -> tuple[int, int]:
        return round(v[0] * (1 << scale)), round(v[1] * (1 << scale))

    def r(value: float) -> int:
        return max(1, round(value * (1 << scale)))

    nose, neck, tailbase = (points[k] for k in ("nose", "neck", "tailbase"))
    trunk = (neck + tailbase) / 2 - 0.02 * (nose - tailbase)
    trunk_len = float(np.linalg.norm(neck - tailbase))
    angle = float(np.degrees(np.arctan2(nose[1] - tailbase[1], nose[0] - tailbase[0])))
    aa = cv2.LINE_AA
    tail_width = max(1, round(0.02 * body))  # line thickness is whole pixels, not shifted
    cv2.line(canvas, p(tailbase), p(points["tail_tip"]), (_TAIL,) * 3, tail_width, aa, scale)
    trunk_axes = (r(0.5 * trunk_len + 0.08 * body), r(0.2 * body))
    cv2.ellipse(canvas, p(trunk), trunk_axes, angle, 0, 360, (_BODY,) * 3, -1, aa, scale)
    head_centre = (nose + neck) / 2
    head_len = float(np.linalg.norm(nose - neck))
    head_axes = (r(0.5 * head_len + 0.02 * body), r(0.11 * body))
    cv2.ellipse(canvas, p(head_centre), head_axes, angle, 0, 360, (_HEAD,) * 3, -1, aa, scale)
    for ear in ("left_ear", "right_ear"):
        cv2.circle(canvas, p(points[ear]), r(0.05 * body), (_EAR,) * 3, -1, aa, scale)


def observe(
    true_points: dict[str, np.ndarray], rng: np.random.Generator, dropout: float = 0.02
) -> np.ndarray:
    """What a pose estimator would report: noisy x, y and a likelihood, with rare misses.

    Returns a (keypoints, 3) array of x, y, likelihood in :data:`KEYPOINTS` order.
    """
    out = np.zeros((len(KEYPOINTS), 3), dtype=np.float64)
    for k, name in enumerate(KEYPOINTS):
        xy = true_points[name] + rng.normal(0.0, 0.4, size=2)
        likelihood = float(rng.uniform(0.9, 1.0))
        if rng.random() < dropout:  # a miss: low confidence and a wrong position
            xy = xy + rng.normal(0.0, 8.0, size=2)
            likelihood = float(rng.uniform(0.01, 0.3))
        out[k] = (xy[0], xy[1], likelihood)
    return out
