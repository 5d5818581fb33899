"""Which window features a study adds: one fixed set (``features.windows``) or named sets a
space chooses among per trial (``features.window_sets`` + the ``windows`` hyperparameter).

Computing them is :mod:`mbr_search.features.windows` (statistics) and
:mod:`mbr_search.features.spectral` (``bandpower``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mbr_search.config._schema import Section
from mbr_search.errors import ConfigError
from mbr_search.jsondoc import JSONObject

#: The statistics a window set's ``stats`` may name; the default is the first four.
PLAIN_STATS = ("mean", "std", "min", "max")
#: Band power over each window, one column block per band of ``bands`` (in Hz).
BANDPOWER = "bandpower"
STATS = (*PLAIN_STATS, BANDPOWER)
#: The window choice of a trial without window features (the ``windows`` default).
NO_WINDOWS = "none"
#: A frequency band in Hz, (low, high]: low excluded (so 0 leaves out the window's mean),
#: high included (so a band can end at the Nyquist frequency).
Band = tuple[float, float]


@dataclass(frozen=True)
class WindowSettings:
    """Which windows and statistics; ``raw`` keeps the frame's own features in front;
    ``bands`` are the frequency bands of ``bandpower`` (given exactly when it is)."""

    seconds: tuple[float, ...]
    stats: tuple[str, ...] = PLAIN_STATS
    raw: bool = True
    bands: tuple[Band, ...] = ()

    def __post_init__(self) -> None:
        if not self.seconds:
            raise ConfigError("windows: no window given. Fix: list seconds, e.g. [0.5, 1.5].")
        bad = [s for s in self.stats if s not in STATS]
        if bad or not self.stats:
            raise ConfigError(f"windows: unknown statistics {bad}. Fix: use some of {list(STATS)}.")
        if any(not s > 0 for s in self.seconds):
            raise ConfigError(f"windows: {list(self.seconds)} must all be > 0 seconds.")
        problem = _bands_problem(self.bands, BANDPOWER in self.stats)
        if problem:
            raise ConfigError(f"windows: bands: {problem}")

    def frames(self, fps: float) -> list[int]:
        """Odd window lengths in frames (odd so that every window is centred): 0.5 s is 15
        frames at 30 fps and 5 at 10 fps."""
        return [2 * math.floor(s * fps / 2.0 + 1e-9) + 1 for s in self.seconds]

    @property
    def stat_columns(self) -> tuple[str, ...]:
        """One name per column block of each window, in output order (``bandpower`` is
        one block per band)."""
        out: list[str] = []
        for stat in self.stats:
            if stat == BANDPOWER:
                out += [f"{BANDPOWER} {lo:g}-{hi:g} Hz" for lo, hi in self.bands]
            else:
                out.append(stat)
        return tuple(out)

    def out_dim(self, dim: int) -> int:
        return dim * (int(self.raw) + len(self.seconds) * len(self.stat_columns))

    def as_dict(self) -> JSONObject:
        out: JSONObject = {
            "seconds": list(self.seconds), "stats": list(self.stats), "raw": self.raw,
        }  # fmt: skip
        # Only when given: a set without bands keeps its old cache key and fingerprint.
        if self.bands:
            out["bands"] = [[lo, hi] for lo, hi in self.bands]
        return out

    def band_problem(self, fps: float) -> str | None:
        """Why a band cannot be measured at ``fps`` (above Nyquist, or between two FFT
        frequencies of a window), or None; a band without a frequency would be a
        constant 0 column."""
        nyquist = fps / 2.0
        for lo, hi in self.bands:
            if hi > nyquist + 1e-9:
                return (
                    f"band [{lo:g}, {hi:g}] Hz goes above the Nyquist frequency, {nyquist:g} "
                    f"Hz at {fps:g} fps (frames sampled {fps:g} times a second show nothing "
                    f"faster than half that). Fix: end every band at <= {nyquist:g} Hz, or "
                    "raise the study's fps."
                )
            for seconds, size in zip(self.seconds, self.frames(fps), strict=True):
                if not band_bins(size, fps, lo, hi):
                    return (
                        f"band [{lo:g}, {hi:g}] Hz holds no frequency the {seconds:g} s window "
                        f"resolves at {fps:g} fps ({size} frames: frequencies "
                        f"{fps / size:.3g} Hz apart). Fix: widen the band, or use windows of "
                        f"at least {1.0 / (hi - lo):.3g} s with it."
                    )
        return None


def band_bins(size: int, fps: float, lo: float, hi: float) -> list[int]:
    """The FFT frequencies k·fps/size (k >= 1, up to Nyquist) of a ``size``-frame window
    that lie in the band (lo, hi]."""
    return [k for k in range(1, size // 2 + 1) if lo < k * fps / size <= hi + 1e-9]


def _bands_problem(bands: tuple[Band, ...], wanted: bool) -> str | None:
    if wanted and not bands:
        return (
            f"stats has {BANDPOWER} but no bands are given. Fix: add bands in Hz, e.g. "
            "bands: [[0.5, 2], [2, 5]]."
        )
    if bands and not wanted:
        return f"given, but stats has no {BANDPOWER}. Fix: add {BANDPOWER} to stats."
    for lo, hi in bands:
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
            return f"[{lo:g}, {hi:g}] is not a band. Fix: give [low, high] in Hz, 0 <= low < high."
    if len(set(bands)) != len(bands):
        return "a band is listed twice. Fix: list each once."
    return None


def parse_windows(sec: Section, fps: float | None = None) -> WindowSettings:
    """One window set: ``{seconds: [...], stats: [...], raw: true, bands: [[lo, hi]]}``;
    with the study's ``fps`` known, its bands are checked against it here."""
    seconds = sec.seq("seconds")
    stats = sec.names("stats", PLAIN_STATS)
    raw = sec.flag("raw", True)
    bands = _parse_bands(sec)
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
    problem = _bands_problem(bands, BANDPOWER in stats)
    if problem:
        raise sec.fail("bands", problem)
    settings = WindowSettings(tuple(float(v) for v in seconds), tuple(stats), raw, bands)
    problem = settings.band_problem(fps) if fps is not None else None
    if problem:
        raise sec.fail("bands", problem)
    return settings


def _parse_bands(sec: Section) -> tuple[Band, ...]:
    raw = sec.seq("bands", [])
    bands = []
    for item in raw:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in item)
        ):
            raise sec.fail(
                "bands", f"{item!r} is not a band. Fix: give [low, high] in Hz, e.g. [0.5, 2]."
            )
        bands.append((float(item[0]), float(item[1])))
    return tuple(bands)


def parse_window_sets(
    sec: Section, fps: float | None = None
) -> tuple[tuple[str, WindowSettings], ...]:
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
        sets.append((name, parse_windows(sec.section(name), fps)))
    sec.finish()
    return tuple(sets)
