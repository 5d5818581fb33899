"""The choreography of one synthetic mouse: where it is, where it faces, what it does.

Bouts of grooming, mid rearing and wall rearing are separated by walks. Bout lengths follow
gamma distributions with the thesis' means (§3.1: 107, 24 and 21 frames at 10 fps) and each
behaviour gets about 10 % of the frames. Before a mid rearing the mouse walks to the middle
of the arena; before a wall rearing it walks to a wall and turns to face it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BEHAVIOURS = ("grooming", "mid_rearing", "wall_rearing")
#: mean and minimum bout length in seconds (the thesis' frames at 10 fps)
MEAN_BOUT_S = {"grooming": 10.7, "mid_rearing": 2.4, "wall_rearing": 2.1}
MIN_BOUT_S = {"grooming": 3.0, "mid_rearing": 0.8, "wall_rearing": 0.7}
TARGET_FRACTION = 0.10
#: gamma shape of the bout lengths (a coefficient of variation of 0.5)
_SHAPE = 4.0


@dataclass(frozen=True)
class Geometry:
    """Arena and body sizes in pixels, all derived from the frame side."""

    size: int

    @property
    def margin(self) -> float:
        """Width of the grey floor outside the arena walls."""
        return round(0.05 * self.size)

    @property
    def body(self) -> float:
        """Nose-to-tailbase length of the walking mouse."""
        return 0.2 * self.size

    def inner(self, clearance: float) -> tuple[float, float]:
        """Range of midbody positions keeping ``clearance`` px from the walls."""
        return self.margin + clearance, self.size - 1 - self.margin - clearance


@dataclass(frozen=True)
class Script:
    """Per-frame state of the animal."""

    x: np.ndarray  # midbody x
    y: np.ndarray  # midbody y
    heading: np.ndarray  # radians, direction the head points
    length: np.ndarray  # body length factor: 1 walking, < 1 when rearing / hunched
    behaviour: np.ndarray  # (frames,) int: -1 none, else index into BEHAVIOURS
    phase: np.ndarray  # seconds since the script start (tail wiggle, jitter)

    def labels(self) -> np.ndarray:
        """(frames, 3) uint8 0/1 per behaviour."""
        out = np.zeros((len(self.x), len(BEHAVIOURS)), dtype=np.uint8)
        for b in range(len(BEHAVIOURS)):
            out[:, b] = self.behaviour == b
        return out


def make_script(n_frames: int, fps: float, geometry: Geometry, rng: np.random.Generator) -> Script:
    """Choreograph ``n_frames`` frames at ``fps``."""
    bouts = _bouts(n_frames, fps, rng)
    walk_budget = max(0, n_frames - sum(length for _, length in bouts))
    weights = rng.dirichlet(np.full(len(bouts) + 1, 2.0))
    seed = int(rng.integers(2**32))
    # Walks to a wall or the middle can take longer than their planned gap; shrink the gaps
    # until every bout fits, so no bout is cut by the end of the video (that would bias the
    # mean bout length).
    scale = 1.0
    for _ in range(8):
        state = _State(geometry, fps, np.random.default_rng(seed))
        for (kind, length), weight in zip(bouts, weights, strict=False):
            target, facing = _target(kind, geometry, state.rng)
            state.walk(round(weight * walk_budget * scale), target)
            state.bout(kind, length, facing)
        overflow = len(state.x) - n_frames
        if overflow < 0:
            break
        scale = max(0.0, scale - (overflow + 1) / max(walk_budget, 1))
    state.walk(n_frames - len(state.x) + 1, None)
    n = n_frames
    return Script(
        np.asarray(state.x[:n]),
        np.asarray(state.y[:n]),
        np.asarray(state.heading[:n]),
        np.asarray(state.length[:n]),
        np.asarray(state.behaviour[:n], dtype=np.int64),
        np.arange(n) / fps,
    )


def _bouts(n_frames: int, fps: float, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Shuffled (behaviour, frames) bouts filling TARGET_FRACTION of the frames each.

    The number of bouts is fixed by the mean and the lengths are rescaled to the budget, so
    both the fraction and the mean bout length come out as asked in every video.
    """
    bouts: list[tuple[int, int]] = []
    for b, name in enumerate(BEHAVIOURS):
        mean, low = MEAN_BOUT_S[name] * fps, max(2, round(MIN_BOUT_S[name] * fps))
        budget = TARGET_FRACTION * n_frames
        count = max(1, round(budget / mean))
        draws = rng.gamma(_SHAPE, mean / _SHAPE, size=count)
        draws *= budget / draws.sum()
        bouts += [(b, max(low, round(float(d)))) for d in draws]
    order = rng.permutation(len(bouts))
    return [bouts[i] for i in order]


def _target(kind: int, g: Geometry, rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    """Where a bout happens and, for wall rearing, the heading that faces the wall."""
    name = BEHAVIOURS[kind]
    if name == "wall_rearing":
        wall = int(rng.integers(4))
        # midbody this far from the wall puts the (shortened) head against it
        lo, hi = g.inner(0.35 * g.body)
        along = rng.uniform(*g.inner(0.9 * g.body))
        off = lo if wall in (0, 2) else hi
        point = np.array([off, along]) if wall in (0, 1) else np.array([along, off])
        facing = {0: np.pi, 1: 0.0, 2: -np.pi / 2, 3: np.pi / 2}[wall]
        return point, facing
    if name == "mid_rearing":
        lo, hi = g.inner(0.0)
        centre, half = (lo + hi) / 2, 0.18 * (hi - lo)
        return rng.uniform(centre - half, centre + half, size=2), None
    return rng.uniform(*g.inner(0.7 * g.body), size=2), None


class _State:
    """Appends frames while walking and during bouts."""

    def __init__(self, geometry: Geometry, fps: float, rng: np.random.Generator) -> None:
        self.g = geometry
        self.fps = fps
        self.rng = rng
        # a walking mouse covers ~0.2 frame sides per second (≈ 9 cm/s in a 45 cm arena)
        self.speed = 0.2 * geometry.size / fps
        start = rng.uniform(*geometry.inner(0.7 * geometry.body), size=2)
        self.x: list[float] = []
        self.y: list[float] = []
        self.heading: list[float] = []
        self.length: list[float] = []
        self.behaviour: list[int] = []
        self._pos = start
        self._head = float(rng.uniform(-np.pi, np.pi))

    def _emit(self, pos: np.ndarray, heading: float, length: float, behaviour: int) -> None:
        self.x.append(float(pos[0]))
        self.y.append(float(pos[1]))
        self.heading.append(heading)
        self.length.append(length)
        self.behaviour.append(behaviour)

    def walk(self, frames: int, target: np.ndarray | None) -> None:
        """Wander for about ``frames`` frames, then (if given) go to ``target`` and stop."""
        lo, hi = self.g.inner(0.6 * self.g.body)
        waypoint = self.rng.uniform(lo, hi, size=2)
        turn = np.pi / 8 * 10 / self.fps  # max heading change per frame
        spent = 0
        while True:
            remaining = frames - spent
            if target is not None:
                travel = np.linalg.norm(target - self._pos) / self.speed
                if remaining <= travel + 2:
                    waypoint = target
            elif remaining <= 0:
                return
            delta = waypoint - self._pos
            distance = float(np.linalg.norm(delta))
            if distance < self.speed:
                if waypoint is target:
                    self._pos = np.array(target, dtype=float)
                    return
                waypoint = self.rng.uniform(lo, hi, size=2)
                continue
            wanted = float(np.arctan2(delta[1], delta[0]))
            change = (wanted - self._head + np.pi) % (2 * np.pi) - np.pi
            self._head += float(np.clip(change, -turn, turn))
            step = self.speed * (0.6 + 0.4 * np.cos(change))  # slow down in tight turns
            self._pos = self._pos + step * np.array([np.cos(self._head), np.sin(self._head)])
            self._pos = np.clip(self._pos, *self.g.inner(0.3 * self.g.body))
            self._emit(self._pos, self._head, 1.0, -1)
            spent += 1
            if spent > frames + 20 * self.g.size / self.speed:  # pragma: no cover - guard
                return

    def bout(self, kind: int, frames: int, facing: float | None) -> None:
        """Stay in place doing ``kind`` for ``frames`` frames."""
        name = BEHAVIOURS[kind]
        ramp = max(1, round(0.3 * self.fps))  # rise and fall of a rearing, in frames
        start_head = self._head
        for i in range(frames):
            pos, head = self._pos, self._head
            if name == "grooming":
                # hunched, in place, with small fast jitter of body and head
                pos = pos + self.rng.normal(0.0, 0.003 * self.g.size, size=2)
                head = start_head + float(self.rng.normal(0.0, 0.25))
                length = 0.8
            else:
                edge = min(i + 1, frames - i, ramp) / ramp
                length = 1.0 - 0.45 * edge
                if facing is not None:
                    change = (facing - start_head + np.pi) % (2 * np.pi) - np.pi
                    head = start_head + change * min(1.0, (i + 1) / ramp)
                    self._head = head
                pos = pos + self.rng.normal(0.0, 0.002 * self.g.size, size=2)
            self._emit(pos, head, length, kind)
