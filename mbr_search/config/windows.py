"""Which window features a study adds (``features.windows``): seconds, statistics, raw.

Computing them is :mod:`mbr_search.features.windows`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mbr_search.errors import ConfigError

STATS = ("mean", "std", "min", "max")


@dataclass(frozen=True)
class WindowSettings:
    """Which windows and statistics; ``raw`` keeps the frame's own features in front."""

    seconds: tuple[float, ...]
    stats: tuple[str, ...] = STATS
    raw: bool = True

    def __post_init__(self) -> None:
        if not self.seconds:
            raise ConfigError("windows: no window given. Fix: list seconds, e.g. [0.5, 1.5].")
        bad = [s for s in self.stats if s not in STATS]
        if bad or not self.stats:
            raise ConfigError(f"windows: unknown statistics {bad}. Fix: use some of {list(STATS)}.")
        if any(not s > 0 for s in self.seconds):
            raise ConfigError(f"windows: {list(self.seconds)} must all be > 0 seconds.")

    def frames(self, fps: float) -> list[int]:
        """Odd window lengths in frames (odd so that every window is centred): 0.5 s is 15
        frames at 30 fps and 5 at 10 fps."""
        return [2 * math.floor(s * fps / 2.0 + 1e-9) + 1 for s in self.seconds]

    def out_dim(self, dim: int) -> int:
        return dim * (int(self.raw) + len(self.seconds) * len(self.stats))

    def as_dict(self) -> dict[str, object]:
        return {"seconds": list(self.seconds), "stats": list(self.stats), "raw": self.raw}
