"""The bootstrap over videos behind every interval: exact points, paired differences,
and whole videos (never frames) as the unit that is resampled."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score

from mbr_search.scoring.bootstrap import (
    _binned_ap,
    _exact_ap,
    difference,
    interval,
    pooled_mean_pr_auc,
    video_draws,
)

Videos = dict[str, np.ndarray]


def _data(seed: int, n_videos: int = 6, frames: int = 400) -> tuple[Videos, Videos]:
    rng = np.random.default_rng(seed)
    labels = {
        f"v{i}": (rng.random((frames, 3)) < [0.3, 0.1, 0.03]).astype(np.uint8)
        for i in range(n_videos)
    }
    probs = {v: np.clip(0.4 * y + 0.8 * rng.random(y.shape), 0, 1) for v, y in labels.items()}
    return labels, probs


def _cat(videos: Videos) -> np.ndarray:
    return np.concatenate([videos[v] for v in sorted(videos)])


@given(st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_point_and_weighted_draws_equal_sklearn(seed: int) -> None:
    labels, probs = _data(seed)
    y, p = _cat(labels), _cat(probs)
    expected = np.mean([average_precision_score(y[:, c], p[:, c]) for c in range(3)])
    assert pooled_mean_pr_auc(labels, probs) == pytest.approx(expected, abs=1e-12)
    weights = video_draws(len(labels), 4, seed)
    owner = np.repeat(np.arange(len(labels)), 400)
    for row in weights:
        if not y[:, 0][row[owner] > 0].any():
            continue
        ref = average_precision_score(y[:, 0], p[:, 0], sample_weight=row[owner])
        assert _exact_ap(y[:, 0] > 0, p[:, 0], owner, row[None])[0] == pytest.approx(ref)
        assert _binned_ap(y[:, 0] > 0, p[:, 0], owner, row[None])[0] == pytest.approx(ref, abs=2e-3)


def test_the_unit_resampled_is_the_video_not_the_frame() -> None:
    """Videos that are copies of each other give every video draw the same score, so a
    bootstrap over videos has zero width; one over frames would not."""
    labels, probs = _data(1, n_videos=1, frames=2000)
    (y,), (p,) = labels.values(), probs.values()
    copies_l = {f"c{i}": y for i in range(5)}
    copies_p = {f"c{i}": p for i in range(5)}
    iv = interval(copies_l, copies_p, draws=200)
    assert iv is not None and iv.videos == 5 and iv.draws == 200
    point = pooled_mean_pr_auc(copies_l, copies_p)
    assert (iv.high - iv.low < 2e-3 and iv.covers(point)) or abs(iv.low - point) < 2e-3
    # the same frames as distinct videos of different content do spread
    varied_l, varied_p = _data(2, n_videos=5, frames=400)
    wide = interval(varied_l, varied_p, draws=200)
    assert wide is not None and wide.high - wide.low > 0.01
    draws = video_draws(7, 50, 3)
    assert draws.shape == (50, 7) and (draws.sum(axis=1) == 7).all()


def test_one_video_has_no_interval_and_intervals_are_seeded() -> None:
    labels, probs = _data(3, n_videos=1)
    assert interval(labels, probs) is None
    labels, probs = _data(3)
    assert interval(labels, probs, seed=4, draws=100) == interval(labels, probs, seed=4, draws=100)


def test_paired_difference_is_tighter_than_the_levels() -> None:
    """A constant improvement on every video: the paired interval is narrow and excludes
    zero, while the two models' own intervals overlap (the videos' difficulty cancels)."""
    rng = np.random.default_rng(5)
    labels = {}
    for i in range(8):
        prevalence = 0.05 + 0.05 * i  # videos of very different difficulty
        labels[f"v{i}"] = (rng.random((500, 2)) < prevalence).astype(np.uint8)
    noise = {v: rng.random(y.shape) for v, y in labels.items()}
    worse = {v: 0.6 * noise[v] + 0.3 * y for v, y in labels.items()}
    better = {v: 0.6 * noise[v] + 0.31 * y for v, y in labels.items()}
    value, diff = difference(labels, better, worse, draws=300)
    a, b = interval(labels, better, draws=300), interval(labels, worse, draws=300)
    assert value > 0 and diff is not None and diff.low > 0
    assert a is not None and b is not None and a.low < b.high  # the levels overlap
    assert diff.high - diff.low < (a.high - a.low)
