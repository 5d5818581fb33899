"""Which segments of unlabelled videos a person should label next: pure ranking, no I/O.

Per frame and behaviour the model is unsure in two ways, each scaled to 0..1:

- **near threshold**: ``1 - |p - t| / max(t, 1 - t)`` for the ensemble's weighted mean
  probability ``p`` and the behaviour's decision threshold ``t`` (1 at the threshold, 0 at
  the far end of 0..1);
- **disagreement**: the weighted standard deviation of the members' probabilities, over its
  largest possible value 0.5 (an ensemble only; 0 for a single model).

A frame's score is their mean for an ensemble, the near-threshold term alone otherwise.
Candidates are the model's predicted bouts (mean probability at or over the threshold) and
the stretches where the frame score is at least ``min_score`` (where bouts may have been
missed or cut wrong), each cut to at most ``max_frames`` and widened to ``min_frames``;
a candidate scores the mean of its frames. Selection is greedy by score with non-maximum
suppression in time (no two chosen segments of one video overlap or lie closer than
``gap_frames``, whatever their behaviour: the person labels every behaviour in a segment)
and a spread rule: no video and no behaviour gets more than its share (``ceil(n / videos)``,
``ceil(n / behaviours)``) while another one still has candidates left.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mbr_search.errors import UsageError
from mbr_search.jsondoc import JSONObject

NEAR = "near threshold"
DISAGREE = "ensemble disagreement"
KINDS = ("predicted bout", "uncertain stretch")


@dataclass(frozen=True)
class RankSettings:
    """How many segments, how long, how far apart (frames at the model's frame rate)."""

    n: int = 20
    min_frames: int = 10
    max_frames: int = 80
    gap_frames: int = 20
    #: frame score from which a stretch outside predicted bouts is a candidate
    min_score: float = 0.5

    def __post_init__(self) -> None:
        if self.n < 1:
            raise UsageError(
                f"--n {self.n}: must be at least 1 (the number of segments to suggest)."
            )
        if not 1 <= self.min_frames <= self.max_frames:
            raise UsageError(
                f"segment length: min {self.min_frames} and max {self.max_frames} frames must "
                "satisfy 1 <= min <= max. Fix: raise --max-seconds or lower --min-seconds."
            )
        if self.gap_frames < 0:
            raise UsageError(f"--gap-seconds: {self.gap_frames} frames, must be >= 0.")

    def to_json(self) -> JSONObject:
        return {
            "n": self.n,
            "min_frames": self.min_frames,
            "max_frames": self.max_frames,
            "gap_frames": self.gap_frames,
            "min_score": self.min_score,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RankSettings:
        return cls(
            int(data["n"]), int(data["min_frames"]), int(data["max_frames"]),
            int(data["gap_frames"]), float(data["min_score"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Segment:
    """One segment to label: frames ``start..stop-1`` of ``video`` (model frames)."""

    video: str
    behaviour: str
    start: int
    stop: int
    score: float
    #: mean near-threshold term and mean disagreement over the segment (0..1 each)
    near: float
    disagreement: float
    mean_probability: float
    threshold: float
    kind: str  # one of KINDS

    @property
    def reason(self) -> str:
        """Why it was chosen, for a person: the larger of the two terms first."""
        near = f"{NEAR} (mean p {self.mean_probability:.2f} vs threshold {self.threshold:.2f})"
        spread = f"{DISAGREE} (member spread {self.disagreement:.2f})"
        if self.disagreement == 0:  # a single model: only the threshold speaks
            parts = [near]
        else:
            parts = [spread, near] if self.disagreement > self.near else [near, spread]
        return f"{self.kind} of {self.behaviour}: " + "; ".join(parts)

    def to_json(self) -> JSONObject:
        return {
            "video": self.video, "behaviour": self.behaviour, "start": self.start,
            "stop": self.stop, "score": self.score, "near": self.near,
            "disagreement": self.disagreement, "mean_probability": self.mean_probability,
            "threshold": self.threshold, "kind": self.kind,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Segment:
        return cls(
            str(data["video"]), str(data["behaviour"]), int(data["start"]), int(data["stop"]),
            float(data["score"]), float(data["near"]), float(data["disagreement"]),
            float(data["mean_probability"]), float(data["threshold"]), str(data["kind"]),
        )  # fmt: skip


@dataclass(frozen=True)
class Uncertainty:
    """Per-frame terms of one video: each ``(frames, behaviours)``."""

    mean: np.ndarray
    near: np.ndarray
    disagreement: np.ndarray
    score: np.ndarray
    thresholds: tuple[float, ...]


def uncertainty(
    member_probs: np.ndarray, weights: Sequence[float] | np.ndarray, thresholds: Sequence[float]
) -> Uncertainty:
    """The terms of the module docstring from ``(members, frames, behaviours)`` probabilities."""
    probs = np.asarray(member_probs, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mean = np.tensordot(w, probs, axes=1)
    t = np.asarray(thresholds, dtype=np.float64)[None, :]
    near = np.clip(1.0 - np.abs(mean - t) / np.maximum(t, 1.0 - t), 0.0, 1.0)
    if len(probs) > 1:
        var = np.tensordot(w, (probs - mean[None]) ** 2, axes=1)
        disagreement = np.clip(np.sqrt(var) / 0.5, 0.0, 1.0)
        score = (near + disagreement) / 2
    else:
        disagreement = np.zeros_like(mean)
        score = near
    return Uncertainty(mean, near, disagreement, score, tuple(float(x) for x in thresholds))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` of every run of True in a 1-d bool array."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _pieces(start: int, stop: int, n_frames: int, s: RankSettings) -> list[tuple[int, int]]:
    """A run cut into pieces of at most ``max_frames``, each widened to ``min_frames``."""
    out = []
    count = max(1, math.ceil((stop - start) / s.max_frames))
    bounds = np.linspace(start, stop, count + 1).round().astype(int)
    for a, b in itertools.pairwise(bounds):
        a, b = int(a), int(b)
        if b - a < s.min_frames:
            centre = (a + b) // 2
            a = max(0, min(centre - s.min_frames // 2, n_frames - s.min_frames))
            b = min(n_frames, a + s.min_frames)
        out.append((a, b))
    return out


def candidates(
    video: str,
    behaviours: Sequence[str],
    u: Uncertainty,
    s: RankSettings,
    labelled: np.ndarray | None = None,
) -> list[Segment]:
    """Every candidate segment of one video (predicted bouts and uncertain stretches);
    frames marked in ``labelled`` (frames,) bool are labelled already and start none."""
    out: list[Segment] = []
    n_frames = len(u.score)
    free = np.ones(n_frames, dtype=bool) if labelled is None else ~np.asarray(labelled, bool)
    for c, behaviour in enumerate(behaviours):
        predicted = u.mean[:, c] >= u.thresholds[c]
        unsure = (u.score[:, c] >= s.min_score) & ~predicted & free
        predicted &= free
        for kind, flags in zip(KINDS, (predicted, unsure), strict=True):
            for start, stop in _runs(flags):
                for a, b in _pieces(start, stop, n_frames, s):
                    out.append(_segment(video, behaviour, c, (a, b), u, kind))
    return out


def _segment(
    video: str, behaviour: str, c: int, span: tuple[int, int], u: Uncertainty, kind: str
) -> Segment:
    a, b = span
    return Segment(
        video, behaviour, a, b, float(u.score[a:b, c].mean()), float(u.near[a:b, c].mean()),
        float(u.disagreement[a:b, c].mean()), float(u.mean[a:b, c].mean()), u.thresholds[c],
        kind,
    )  # fmt: skip


def _clash(seg: Segment, chosen: Sequence[Segment], gap: int) -> bool:
    """Overlapping or within ``gap`` frames of a chosen segment of the same video."""
    return any(
        c.video == seg.video and seg.start < c.stop + gap and c.start < seg.stop + gap
        for c in chosen
    )


def select(pool: Sequence[Segment], s: RankSettings) -> list[Segment]:
    """The best ``s.n`` of ``pool`` under the spread rule and time suppression, best first."""
    ordered = sorted(pool, key=lambda g: (-g.score, g.video, g.behaviour, g.start))
    videos = {g.video for g in ordered}
    behaviours = {g.behaviour for g in ordered}
    caps = (math.ceil(s.n / max(len(videos), 1)), math.ceil(s.n / max(len(behaviours), 1)))
    chosen: list[Segment] = []
    # First pass within each video's and behaviour's share; then, if candidates ran out
    # elsewhere, the rest by score alone (a fixed share must not leave slots empty).
    for capped in (True, False):
        for seg in ordered:
            if len(chosen) >= s.n:
                break
            if seg in chosen or _clash(seg, chosen, s.gap_frames):
                continue
            if capped and (
                sum(c.video == seg.video for c in chosen) >= caps[0]
                or sum(c.behaviour == seg.behaviour for c in chosen) >= caps[1]
            ):
                continue
            chosen.append(seg)
    return sorted(chosen, key=lambda g: -g.score)


def rank(
    member_probs: Mapping[str, np.ndarray],
    behaviours: Sequence[str],
    thresholds: Sequence[float],
    weights: Sequence[float] | np.ndarray,
    settings: RankSettings,
    labelled: Mapping[str, np.ndarray] | None = None,
) -> list[Segment]:
    """The segments to label next, best first, from each video's ``(members, frames,
    behaviours)`` probabilities, the members' ``weights`` and the decision ``thresholds``;
    ``labelled`` marks, per video, frames that already have labels (partly labelled videos)."""
    pool: list[Segment] = []
    for video, probs in member_probs.items():
        u = uncertainty(probs, weights, thresholds)
        done = (labelled or {}).get(video)
        pool += candidates(video, behaviours, u, settings, done)
    return select(pool, settings)
