"""Intervals for pooled mean PR-AUC by a bootstrap over videos.

Frames of one video are not independent (a bout spans hundreds of them), so the unit that
is resampled is the whole video: a draw picks n videos with replacement, and a frame's
weight is the number of times its video was picked. Average precision with those weights
is computed for every draw at once from per-video cumulative counts over score bins, so a
thousand draws cost about as much as a few sklearn calls. Point values use the exact
scores and equal ``sklearn.metrics.average_precision_score`` (tested), the package's
PR-AUC.

A difference between two models is bootstrapped with the same draws for both (paired), so
the spread of the videos' difficulty cancels; that is why a difference can be certain
while the two levels' intervals overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mbr_search.jsondoc import JSONObject

#: draws per interval; the 5th and 95th percentiles of 1000 draws move by about 0.002
DRAWS = 1000
LEVEL = 0.9
#: draws scored together (memory: CHUNK x BINS float64 per array)
CHUNK = 250
#: draws score probabilities rounded to 1/BINS: each draw is then a matrix product over
#: (videos x BINS) cumulative counts instead of a pass over every frame (about 50x faster
#: on 80k frames); the intervals move by < 1e-3. Point values are computed exactly.
BINS = 4_000

Videos = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Interval:
    """A two-sided bootstrap percentile interval over videos."""

    low: float
    high: float
    level: float = LEVEL
    draws: int = DRAWS
    videos: int = 0

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def show(self) -> str:
        return f"[{self.low:.3f}, {self.high:.3f}]"

    def to_json(self) -> JSONObject:
        return {
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "level": self.level,
            "draws": self.draws,
            "videos": self.videos,
            "unit": "video",
        }


def video_draws(n_videos: int, draws: int, seed: int, size: int | None = None) -> np.ndarray:
    """(draws, videos) counts: how often each video is picked in each draw of ``size``
    videos (default: as many as there are)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n_videos, size=(draws, size or n_videos))
    return np.stack([np.bincount(row, minlength=n_videos) for row in picks]).astype(np.float64)


def pooled_mean_pr_auc(labels: Videos, probs: Videos) -> float:
    """Mean over behaviours (with a positive frame) of the PR-AUC of all videos pooled."""
    videos = sorted(probs)
    values = _scores(labels, {"m": probs}, videos, np.ones((1, len(videos))))["m"]
    return float(values[0])


def interval(
    labels: Videos,
    probs: Videos,
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    seed: int = 0,
    size: int | None = None,
) -> Interval | None:
    """The interval of :func:`pooled_mean_pr_auc`; None with fewer than 2 videos.

    ``size``: score draws of that many videos instead: where the pooled score of ``size``
    new videos like these would fall (a prediction interval, wider than the interval of
    the level when ``size`` is small; a test set of 4 videos is such a draw).
    """
    videos = sorted(probs)
    if len(videos) < 2:
        return None
    weights = video_draws(len(videos), draws, seed, size)
    return _percentiles(_scores(labels, {"m": probs}, videos, weights)["m"], level, len(videos))


def difference(
    labels: Videos,
    probs_a: Videos,
    probs_b: Videos,
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[float, Interval | None]:
    """``a - b`` of pooled mean PR-AUC on the videos both scored, and its paired interval."""
    videos = sorted(set(probs_a) & set(probs_b))
    if not videos:
        raise ValueError("the two models share no video")
    both = {"a": probs_a, "b": probs_b}
    point = _scores(labels, both, videos, np.ones((1, len(videos))))
    value = float(point["a"][0] - point["b"][0])
    if len(videos) < 2:
        return value, None
    scored = _scores(labels, both, videos, video_draws(len(videos), draws, seed))
    return value, _percentiles(scored["a"] - scored["b"], level, len(videos))


def _percentiles(values: np.ndarray, level: float, n_videos: int) -> Interval | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(float(low), float(high), level, int(values.size), n_videos)


def _scores(
    labels: Videos, models: Mapping[str, Videos], videos: list[str], weights: np.ndarray
) -> dict[str, np.ndarray]:
    """model -> (draws,) mean PR-AUC over behaviours under each row of video ``weights``;
    a behaviour without a positive frame in a draw is left out of that draw's mean."""
    y = np.concatenate([np.asarray(labels[v]) for v in videos])
    if y.ndim == 1:
        y = y[:, None]
    owner = np.concatenate([np.full(len(labels[v]), i) for i, v in enumerate(videos)])
    known = np.isfinite(y.astype(np.float64)) & (y >= 0)
    out = {}
    for name, probs in models.items():
        p = np.concatenate([np.asarray(probs[v], np.float64) for v in videos])
        if p.ndim == 1:
            p = p[:, None]
        ap = _exact_ap if len(weights) == 1 else _binned_ap
        per_behaviour = [
            ap(y[known[:, c], c] > 0, p[known[:, c], c], owner[known[:, c]], weights)
            for c in range(y.shape[1])
        ]
        with np.errstate(invalid="ignore"):
            stacked = np.stack(per_behaviour)
            out[name] = np.where(
                np.isfinite(stacked).any(axis=0), np.nanmean(_nan_safe(stacked), axis=0), np.nan
            )
    return out


def _nan_safe(values: np.ndarray) -> np.ndarray:
    """nanmean over an all-NaN column warns; those columns are replaced by NaN after."""
    filled = values.copy()
    filled[:, ~np.isfinite(values).any(axis=0)] = 0.0
    return filled


def _exact_ap(
    positive: np.ndarray, score: np.ndarray, owner: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """(draws,) average precision with frame weights ``weights[:, owner]`` (NaN in a draw
    without a positive frame), as sklearn computes it: one threshold per distinct score."""
    order = np.argsort(-score, kind="mergesort")
    pos, owner_sorted, s = positive[order], owner[order], score[order]
    # the last frame of each run of equal scores closes a threshold
    ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    w = weights[:, owner_sorted]
    return _ap(np.cumsum(w * pos, axis=1)[:, ends], np.cumsum(w * ~pos, axis=1)[:, ends])


def _binned_ap(
    positive: np.ndarray, score: np.ndarray, owner: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """:func:`_exact_ap` on scores rounded to 1/BINS, all draws by matrix products."""
    n_videos = weights.shape[1]
    # bin 0 holds the highest scores: thresholds are visited from high to low
    bins = BINS - np.rint(np.clip(score, 0.0, 1.0) * BINS).astype(np.int64)
    flat = owner * (BINS + 1) + bins
    size = n_videos * (BINS + 1)
    pos_counts = np.bincount(flat, weights=positive.astype(np.float64), minlength=size)
    all_counts = np.bincount(flat, minlength=size).astype(np.float64)
    cum_pos = np.cumsum(pos_counts.reshape(n_videos, BINS + 1), axis=1)
    cum_neg = np.cumsum((all_counts - pos_counts).reshape(n_videos, BINS + 1), axis=1)
    out = np.full(len(weights), np.nan)
    for start in range(0, len(weights), CHUNK):
        w = weights[start : start + CHUNK]
        out[start : start + CHUNK] = _ap(w @ cum_pos, w @ cum_neg)
    return out


def _ap(tps: np.ndarray, fps: np.ndarray) -> np.ndarray:
    """Average precision per row from cumulative true/false positives at each threshold."""
    total = tps[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 0.0)
        recall = tps / total
    gain = np.diff(recall, axis=1, prepend=0.0)
    return np.where(total[:, 0] > 0, (gain * precision).sum(axis=1), np.nan)
