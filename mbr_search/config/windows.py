"""Which window features a study adds: one fixed set (``features.windows``) or named sets a
space chooses among per trial (``features.window_sets`` + the ``windows`` hyperparameter).

Computing them is :mod:`mbr_search.features.windows`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mbr_search.config._schema import Section
from mbr_search.errors import ConfigError

STATS = ("mean", "std", "min", "max")
#: The window choice of a trial without window features (the ``windows`` default).
NO_WINDOWS = "none"


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


def parse_windows(sec: Section) -> WindowSettings:
    """One window set: ``{seconds: [...], stats: [...], raw: true}``."""
    seconds = sec.seq("seconds")
    stats = sec.names("stats", STATS)
    raw = sec.flag("raw", True)
    sec.finish()
    if not seconds or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in seconds
    ):
        raise sec.fail(
            "seconds", f"{seconds!r}: list window lengths > 0 in seconds, e.g. [0.5, 1.5]."
        )
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise sec.fail("stats", f"unknown statistics {unknown}. Fix: use some of {list(STATS)}.")
    return WindowSettings(tuple(float(v) for v in seconds), tuple(stats), raw)


def parse_window_sets(sec: Section) -> tuple[tuple[str, WindowSettings], ...]:
    """``features.window_sets``: name -> window set; ``none`` is reserved for no windows."""
    if not sec.data:
        raise ConfigError(
            f"{sec.file}: {sec.path}: is empty. Fix: name at least one set, e.g. "
            "short: {seconds: [0.5]}."
        )
    sets = []
    for name in list(sec.data):
        if not isinstance(name, str) or not name or name == NO_WINDOWS:
            raise sec.fail(
                str(name), f"'{NO_WINDOWS}' (no window features) is always a choice and "
                "cannot name a set. Fix: give the set another name.",
            )  # fmt: skip
        sets.append((name, parse_windows(sec.section(name))))
    sec.finish()
    return tuple(sets)
