"""Window features: centred rolling statistics of any per-frame features.

A behaviour is a stretch of frames, not a frame: the mean, spread and extremes of each
feature over the surrounding 0.2-5 s tell a classifier what one frame cannot (SimBA's and
most labs' hand-made recipe). Windows are given in seconds so the frame rate does not
matter. Computed with ``scipy.ndimage`` filters over blocks of rows with a halo, so a
thesis-scale video (6,600 frames x 2,048 CNN dims) never holds more than one block of
statistics in memory. ``bandpower`` (spectral power per frequency band) is
:mod:`mbr_search.features.spectral`, computed over the same blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from scipy import ndimage

from mbr_search.config.windows import BANDPOWER, WindowSettings
from mbr_search.errors import ConfigError
from mbr_search.features.spectral import band_power

#: Rows computed at once; with the halo, memory is O(block x dim x outputs).
BLOCK_ROWS = 2048


def check_fits(settings: WindowSettings, fps: float, n_frames: int, video: str) -> None:
    """A window longer than the video would be a statistic of padding: refuse it."""
    longest = max(settings.frames(fps))
    if longest > n_frames:
        raise ConfigError(
            f"video '{video}' has {n_frames} frames at {fps:g} fps, shorter than the "
            f"{max(settings.seconds):g} s window ({longest} frames). Fix: use shorter windows."
        )
    # The study's fps was checked when it was loaded; without one, each video's own is.
    problem = settings.band_problem(fps)
    if problem:
        raise ConfigError(f"video '{video}' at {fps:g} fps: windows: bands: {problem}")


def window_blocks(
    x: np.ndarray, fps: float, settings: WindowSettings
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, float32 block)`` of the window features of ``x`` (frames, dim)."""
    sizes = settings.frames(fps)
    halo = max(sizes) // 2
    n = len(x)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(n, start + BLOCK_ROWS)
        lo, hi = max(0, start - halo), min(n, stop + halo)
        chunk = np.asarray(x[lo:hi], dtype=np.float32)
        parts = [chunk] if settings.raw else []
        for size in sizes:
            for name in settings.stats:
                if name == BANDPOWER:
                    parts.append(band_power(chunk, size, fps, settings.bands))
                else:
                    parts.append(_stat(chunk, size, name))
        # The halo rows were only there so that edge windows see their true neighbours;
        # at the video's ends, "nearest" repeats the first/last frame instead.
        yield start, np.concatenate(parts, axis=1)[start - lo : stop - lo]


def window_features(x: np.ndarray, fps: float, settings: WindowSettings) -> np.ndarray:
    """All window features of ``x`` at once (float32); for tests and small inputs."""
    out = np.empty((len(x), settings.out_dim(x.shape[1])), dtype=np.float32)
    for start, block in window_blocks(x, fps, settings):
        out[start : start + len(block)] = block
    return out


def _stat(x: np.ndarray, size: int, name: str) -> np.ndarray:
    return _FILTERS[name](x, size)


def _mean(x: np.ndarray, size: int) -> np.ndarray:
    return ndimage.uniform_filter1d(x, size, axis=0, mode="nearest")


def _std(x: np.ndarray, size: int) -> np.ndarray:
    # E[x^2] - E[x]^2 cancels catastrophically in float32: a pixel coordinate near 500
    # loses about 0.1 px of spread, and a constant window shows a spread of 3e-4. Centring
    # each column and accumulating in float64 keeps the spread exact to float32.
    centred = x.astype(np.float64) - x.mean(axis=0, dtype=np.float64)
    mean = ndimage.uniform_filter1d(centred, size, axis=0, mode="nearest")
    square = ndimage.uniform_filter1d(centred * centred, size, axis=0, mode="nearest")
    return np.sqrt(np.maximum(square - mean * mean, 0.0)).astype(np.float32)


def _min(x: np.ndarray, size: int) -> np.ndarray:
    return ndimage.minimum_filter1d(x, size, axis=0, mode="nearest")


def _max(x: np.ndarray, size: int) -> np.ndarray:
    return ndimage.maximum_filter1d(x, size, axis=0, mode="nearest")


_FILTERS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "mean": _mean,
    "std": _std,
    "min": _min,
    "max": _max,
}
