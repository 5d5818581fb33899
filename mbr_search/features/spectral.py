"""Spectral window features: the power of each feature in a few frequency bands over a
centred window (``stats: [bandpower]`` with ``bands``, :mod:`mbr_search.config.windows`).

Rhythm tells behaviours apart where averages do not: grooming and digging shake at a few Hz,
walking has its stride frequency, a resting animal has none (the JABS authors report that
FFT features consistently help mouse behaviour classifiers). For each frame the window's
samples are centred on their mean, tapered with a periodic Hann window and Fourier
transformed; a band's power is the sum of the one-sided periodogram over the FFT
frequencies k·fps/frames in (low, high] (``scipy.signal.periodogram`` with
``detrend='constant'``, ``window='hann'``, density scaling, times the frequency step). The
bands of all frequencies sum to about the window's variance. A column holds the square root,
the band's RMS amplitude in the feature's own units, on the scale of ``std``: powers of
features up to 1e3 would overflow the float16 cache.

Vectorised: every frame's window is a row of a strided view, transformed by one matrix
product with the tapered, centred cosines and sines of the bins in any band, in batches of
rows that bound the temporary memory. A NaN frame is a gap: a window's power is that of its
finite samples (centred on their mean, scaled to the full window); only a window without a
finite sample is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mbr_search.config.windows import Band, band_bins

#: rows x dims x window samples per matrix product: bounds the temporaries to ~16 MB each
BATCH_ELEMENTS = 1 << 22


def band_power(x: np.ndarray, size: int, fps: float, bands: Sequence[Band]) -> np.ndarray:
    """(frames, len(bands) x dim) float32 band RMS of ``x`` (frames, dim) over centred
    ``size``-frame windows, band-major (every column of band 0, then of band 1...); the
    video's ends repeat its first/last frame, like the other statistics."""
    n, dim = x.shape
    half = size // 2
    padded = np.pad(np.asarray(x, dtype=np.float32), ((half, half), (0, 0)), mode="edge")
    basis, to_bands = _transform(size, fps, bands)
    out = np.empty((n, len(bands), dim), dtype=np.float32)
    rows = max(1, BATCH_ELEMENTS // max(1, dim * size))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        part = padded[start : stop + 2 * half]
        windows = sliding_window_view(part, size, axis=0)  # (rows, dim, size), no copy
        power = _power(windows, basis, bool(np.isfinite(part).all())) @ to_bands
        out[start:stop] = np.moveaxis(power, -1, 1)
    return np.sqrt(np.maximum(out, 0.0)).reshape(n, len(bands) * dim)


def _transform(size: int, fps: float, bands: Sequence[Band]) -> tuple[np.ndarray, np.ndarray]:
    """The tapered cosines then sines of the bins used, (size, 2·bins), and the map from
    bin powers to band powers, (bins, bands), with the periodogram's scaling folded in."""
    used = sorted({k for lo, hi in bands for k in band_bins(size, fps, lo, hi)})
    n = np.arange(size)
    taper = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / size)  # periodic Hann, as scipy's default
    angle = 2.0 * np.pi * np.outer(n, used) / size
    basis = np.concatenate([np.cos(angle), np.sin(angle)], axis=1) * taper[:, None]
    # One-sided density x frequency step: 2 |X_k|^2 / (frames x sum(taper^2)); an odd
    # window has no Nyquist bin, so every bin used is doubled.
    scale = 2.0 / (size * float(np.sum(taper * taper)))
    freqs = np.asarray(used, dtype=np.float64) * fps / size
    to_bands = np.stack([((freqs > lo) & (freqs <= hi + 1e-9)) * scale for lo, hi in bands], axis=1)
    return basis.astype(np.float32), to_bands.astype(np.float32)


def _power(windows: np.ndarray, basis: np.ndarray, finite: bool) -> np.ndarray:
    """(rows, dim, bins) periodogram powers (unscaled) of the windows, NaN-aware."""
    bins = basis.shape[1] // 2
    if finite:
        # Centring folded into the basis: sum (x - mean) b = sum x (b - mean(b)).
        spec = windows @ (basis - basis.mean(axis=0, keepdims=True))
        return np.asarray(spec[..., :bins] ** 2 + spec[..., bins:] ** 2)
    ok = np.isfinite(windows)
    count = ok.sum(axis=-1)
    filled = np.where(ok, windows, 0.0)
    mean = filled.sum(axis=-1) / np.maximum(count, 1)
    centred = np.where(ok, filled - mean[..., None], 0.0).astype(np.float32)
    spec = centred @ basis
    power = spec[..., :bins] ** 2 + spec[..., bins:] ** 2
    # Missing samples carry no power: scale what the finite ones have to the full window.
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(count > 0, windows.shape[-1] / count, np.nan).astype(np.float32)
    return np.asarray(power * factor[..., None])
