"""Window features against a naive per-frame loop, and their bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, write_tiny_study
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mbr_search.config.windows import WindowSettings
from mbr_search.errors import ConfigError
from mbr_search.features import windows
from mbr_search.features.windows import check_fits, window_features


def _naive(x: np.ndarray, fps: float, cfg: WindowSettings) -> np.ndarray:
    n = len(x)
    cols = [x] if cfg.raw else []
    for size in cfg.frames(fps):
        half = size // 2
        for name in cfg.stats:
            out = np.empty_like(x)
            for t in range(n):
                # "nearest": the window is padded by repeating the first/last frame
                idx = np.clip(np.arange(t - half, t + half + 1), 0, n - 1)
                w = x[idx]
                out[t] = {"mean": w.mean(0), "std": w.std(0), "min": w.min(0), "max": w.max(0)}[
                    name
                ]
            cols.append(out)
    return np.concatenate(cols, axis=1)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(5, 60),
    dim=st.integers(1, 4),
    seconds=st.lists(st.sampled_from([0.1, 0.2, 0.5, 0.9]), min_size=1, max_size=3, unique=True),
    raw=st.booleans(),
    seed=st.integers(0, 10_000),
)
# float32 E[x^2] - E[x]^2 gave a one-frame window a spread of 2.6e-4 here (a fresh clone's
# Hypothesis run found this family of cases)
@example(n=5, dim=2, seconds=[0.1, 0.2], raw=False, seed=6167)
def test_window_features_equal_a_naive_loop(
    n: int, dim: int, seconds: list[float], raw: bool, seed: int
) -> None:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    cfg = WindowSettings(tuple(seconds), raw=raw)
    got = window_features(x, 10.0, cfg)
    assert got.shape == (n, cfg.out_dim(dim))
    np.testing.assert_allclose(got, _naive(x, 10.0, cfg), atol=2e-4)


def test_blocks_with_halo_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(1).normal(size=(500, 3)).astype(np.float32)
    cfg = WindowSettings((0.5, 3.0))
    whole = window_features(x, 30.0, cfg)
    monkeypatch.setattr(windows, "BLOCK_ROWS", 64)  # many blocks, each with a 45-row halo
    np.testing.assert_allclose(window_features(x, 30.0, cfg), whole, atol=1e-5)


def test_windows_are_in_seconds_and_centred() -> None:
    cfg = WindowSettings((0.5,))
    assert cfg.frames(30.0) == [15] and cfg.frames(10.0) == [5]
    x = np.zeros((21, 1), np.float32)
    x[10] = 1.0  # one spike: a centred max window lights up symmetrically around it
    peak = window_features(x, 10.0, WindowSettings((0.5,), stats=("max",), raw=False))[:, 0]
    assert list(np.flatnonzero(peak)) == [8, 9, 10, 11, 12]


def test_bad_window_settings_are_clear() -> None:
    with pytest.raises(ConfigError, match="longer|shorter than the 10 s window"):
        check_fits(WindowSettings((10.0,)), 10.0, 50, "v1")
    with pytest.raises(ConfigError, match="unknown statistics"):
        WindowSettings((1.0,), stats=("median",))
    with pytest.raises(ConfigError, match="> 0"):
        WindowSettings((0.0,))


def _windowed_study(tmp_path: Path, windows: str) -> Path:
    path = write_tiny_study(tmp_path)
    text = path.read_text().replace(
        "features: {backbone: pose}", f"features: {{backbone: pose, windows: {windows}}}"
    )
    assert text != path.read_text()
    path.write_text(text)
    return path


def test_a_study_with_windows_loads_wider_cached_features(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_video

    plain = load_study(str(write_tiny_study(tmp_path / "plain")))
    study = load_study(str(_windowed_study(tmp_path, "{seconds: [0.5, 1.5], stats: [mean, max]}")))
    video = study.dataset.split("train")[0]
    base = load_video(plain, video).features
    wide = load_video(study, video).features
    assert wide.shape == (len(base), base.shape[1] * 5)
    np.testing.assert_array_equal(wide[:, : base.shape[1]], base)  # raw features first
    expect = window_features(np.asarray(base, np.float32), 10.0, study.windows)  # type: ignore[arg-type]
    np.testing.assert_allclose(np.asarray(wide, np.float32), expect, atol=0.02, rtol=2e-3)
    again = load_video(study, video).features  # from the cache, not recomputed
    assert Path(again.filename) == Path(wide.filename)


def test_a_window_longer_than_a_video_is_one_clear_line(tmp_path: Path) -> None:
    path = _windowed_study(tmp_path, "{seconds: [600]}")  # 10 min; the bundled videos last 2.5 min
    result = run_cli("run", str(path), "--trials", "1", "--no-progress")
    assert result.returncode == 2, result.stderr
    assert "shorter than the 600 s window" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_spread_of_large_coordinates_is_exact() -> None:
    # Pixel coordinates near 500 with a spread of 0.5 px: float32 E[x^2] - E[x]^2 would
    # lose most of that spread to rounding.
    rng = np.random.default_rng(3)
    x = (500.0 + 0.5 * rng.normal(size=(300, 2))).astype(np.float32)
    cfg = WindowSettings((1.1,), stats=("std",), raw=False)
    np.testing.assert_allclose(window_features(x, 10.0, cfg), _naive(x, 10.0, cfg), atol=1e-4)
