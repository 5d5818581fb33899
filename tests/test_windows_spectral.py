"""Spectral window features (``stats: [..., bandpower]`` with ``bands``): the values against
scipy's periodogram frame by frame, a sine's power in its own band, NaN frames as gaps, the
bands' checks against the frame rate, the cache key, and a model directory's ``predict``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from _shared import one_evaluated_trial, predict_and_suggest_rat08
from conftest import run_cli, write_tiny_study

from mbr_search.config.windows import WindowSettings
from mbr_search.errors import ConfigError
from mbr_search.features import spectral, windows
from mbr_search.features.column_groups import windowed_column_groups
from mbr_search.features.spectral import band_power
from mbr_search.features.windows import check_fits, window_features

BANDS = ((0.5, 1.5), (1.5, 3.0), (3.0, 6.0), (6.0, 15.0))


def _naive(
    x: np.ndarray, size: int, fps: float, bands: tuple[tuple[float, float], ...]
) -> np.ndarray:
    """Frame by frame: scipy's periodogram of the centred window, summed over each band."""
    from scipy.signal import periodogram

    n, half = len(x), size // 2
    out = np.zeros((n, len(bands), x.shape[1]))
    for t in range(n):
        idx = np.clip(np.arange(t - half, t + half + 1), 0, n - 1)  # "nearest" at the ends
        freqs, power = periodogram(x[idx], fs=fps, window="hann", detrend="constant", axis=0)
        for b, (lo, hi) in enumerate(bands):
            out[t, b] = power[(freqs > lo) & (freqs <= hi)].sum(axis=0) * (fps / size)
    return np.sqrt(out).reshape(n, -1)


@pytest.mark.parametrize(("size", "fps"), [(5, 10.0), (21, 10.0), (31, 30.0)])
def test_band_power_equals_scipys_periodogram_frame_by_frame(size: int, fps: float) -> None:
    x = np.random.default_rng(size).normal(size=(120, 3)).astype(np.float32) * 5 + 2
    bands = ((0.0, 2.0), (2.0, fps / 2))
    np.testing.assert_allclose(
        band_power(x, size, fps, bands), _naive(x, size, fps, bands), atol=2e-5
    )


def test_a_sine_lands_in_its_band_and_the_bands_sum_to_its_variance() -> None:
    t = np.arange(3000) / 30.0
    x = np.stack([np.sin(2 * np.pi * 2.0 * t), 3.0 * np.sin(2 * np.pi * 8.0 * t)], axis=1)
    cfg = WindowSettings((3.0,), stats=("std", "bandpower"), raw=False, bands=BANDS)
    out = window_features(x.astype(np.float32), 30.0, cfg)
    assert out.shape == (3000, cfg.out_dim(2)) == (3000, 2 * 5)
    power = out[200:-200, 2:].reshape(-1, 4, 2) ** 2  # (frames, band, feature)
    share = power / power.sum(axis=1, keepdims=True)
    assert share[:, 1, 0].min() > 0.99  # 2 Hz in [1.5, 3]
    assert share[:, 3, 1].min() > 0.99  # 8 Hz in [6, 15]
    # Parseval: all bands together hold the window's variance (amplitude² / 2), as std² does.
    np.testing.assert_allclose(power.sum(axis=1).mean(axis=0), [0.5, 4.5], rtol=0.01)
    np.testing.assert_allclose(out[200:-200, :2] ** 2, power.sum(axis=1), rtol=0.02)


def test_nan_frames_are_gaps_that_never_spread() -> None:
    t = np.arange(400) / 10.0
    clean = np.sin(2 * np.pi * 1.0 * t)[:, None].astype(np.float32)
    gappy = clean.copy()
    gappy[100] = np.nan  # one missing frame
    gappy[250:290] = np.nan  # a gap longer than the 21-frame window
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" or division warnings
        got = band_power(gappy, 21, 10.0, ((0.5, 2.0),))[:, 0]
    want = band_power(clean, 21, 10.0, ((0.5, 2.0),))[:, 0]
    far = np.r_[0:80, 121:230, 311:400]
    np.testing.assert_allclose(got[far], want[far], atol=1e-6)  # as if away from the gaps
    near = np.r_[90:111]
    np.testing.assert_allclose(got[near], want[near], rtol=0.1)  # one gap: about the same
    assert np.isnan(got[260:280]).all()  # every sample of these windows is missing
    assert np.isfinite(got[:260]).all() and np.isfinite(got[280:]).all()


def test_blocks_and_batches_do_not_change_the_values(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(3).normal(size=(700, 4)).astype(np.float32)
    cfg = WindowSettings((0.5, 3.0), stats=("mean", "bandpower"), bands=((0.5, 2.0), (2.0, 5.0)))
    whole = window_features(x, 30.0, cfg)
    monkeypatch.setattr(windows, "BLOCK_ROWS", 64)  # many blocks with a 45-row halo
    monkeypatch.setattr(spectral, "BATCH_ELEMENTS", 500)  # a few rows per matrix product
    np.testing.assert_allclose(window_features(x, 30.0, cfg), whole, atol=1e-5)
    groups = windowed_column_groups([f"f{i}" for i in range(4)], cfg)
    assert len(groups) == cfg.out_dim(4) == 4 * (1 + 2 * 3)


def test_bad_bands_are_refused_with_the_fix() -> None:
    with pytest.raises(ConfigError, match="stats has bandpower but no bands.*Fix: add bands"):
        WindowSettings((1.0,), stats=("bandpower",))
    with pytest.raises(ConfigError, match="stats has no bandpower. Fix: add bandpower"):
        WindowSettings((1.0,), bands=((1.0, 2.0),))
    with pytest.raises(ConfigError, match=r"\[2, 1\] is not a band"):
        WindowSettings((1.0,), stats=("bandpower",), bands=((2.0, 1.0),))
    cfg = WindowSettings((2.0,), stats=("bandpower",), bands=((1.0, 8.0),))
    with pytest.raises(ConfigError, match="video 'v1' at 10 fps: .*Nyquist frequency, 5 Hz"):
        check_fits(cfg, 10.0, 500, "v1")  # a study without fps: each video's own is checked
    check_fits(cfg, 30.0, 500, "v1")
    short = WindowSettings((0.5,), stats=("bandpower",), bands=((0.5, 1.0),))
    assert "holds no frequency the 0.5 s window" in str(short.band_problem(10.0))
    assert "at least 2 s" in str(short.band_problem(10.0))


def _study(tmp_path: Path, window_sets: str, space: str | None = None) -> Path:
    path = write_tiny_study(tmp_path)
    text = path.read_text().replace(
        "features: {backbone: pose}", f"features: {{backbone: pose, window_sets: {window_sets}}}"
    )
    path.write_text(text)
    if space is not None:
        (tmp_path / "tiny_space.yaml").write_text(space)
    return path


def test_a_band_above_nyquist_names_the_file_the_key_and_the_fix(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study

    sets = "{spec: {seconds: [2.0], stats: [mean, bandpower], bands: [[0.5, 2], [2, 8]]}}"
    path = _study(tmp_path, sets)  # the tiny study runs at fps: 10, Nyquist 5 Hz
    with pytest.raises(ConfigError) as err:
        load_study(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: features.window_sets.spec.bands: band [2, 8] Hz")
    assert "Nyquist frequency, 5 Hz at 10 fps" in message and "Fix: end every band" in message
    result = run_cli("run", str(path), "--trials", "1", "--no-progress")
    assert result.returncode == 2, result.stderr
    assert "Nyquist" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_cache_key_and_the_fingerprint_carry_the_bands(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_video
    from mbr_search.inference.model_features import FrameWindows
    from mbr_search.jsondoc import Node

    sets = (
        "{low: {seconds: [3.0], stats: [bandpower], bands: [[0.3, 1]]},"
        " high: {seconds: [3.0], stats: [bandpower], bands: [[1, 5]]}}"
    )
    study = load_study(str(_study(tmp_path, sets)))
    video = study.dataset.split("train")[0]
    low = load_video(study, video, windows=study.windows_for("low")).features
    high = load_video(study, video, windows=study.windows_for("high")).features
    assert Path(low.filename) != Path(high.filename)  # not one cache entry
    assert not np.array_equal(low[:, -10:], high[:, -10:])
    plain = WindowSettings((1.0,))
    assert "bands" not in plain.as_dict()  # sets without bands keep their old keys
    windows_high = FrameWindows(study.windows_for("high"), 10.0, "high")  # type: ignore[arg-type]
    document = json.loads(json.dumps(windows_high.to_json()))
    assert document["bands"] == [[1.0, 5.0]]
    assert FrameWindows.from_json(Node(document, "model.json")) == windows_high
    older = {"name": "x", "seconds": [1.0], "stats": ["mean"], "raw": True, "fps": 10.0}
    assert FrameWindows.from_json(Node(older, "model.json")).settings.bands == ()


GBDT_SPACE = """\
name: tiny_spectral
model: gbdt
params:
  windows: {type: categorical, choices: [spec]}
fixed: {num_leaves: 8, max_rounds: 30, early_stopping_rounds: 5, frame_step: 4}
"""


@pytest.mark.slow
def test_predict_computes_the_bandpower_windows_evaluate_scored(tmp_path: Path) -> None:
    sets = "{spec: {seconds: [1.0, 3.0], stats: [mean, bandpower], bands: [[0.3, 1.5], [1.5, 5]]}}"
    path = _study(tmp_path, sets, GBDT_SPACE)
    out = tmp_path / "rep"
    trial, model = one_evaluated_trial(path, f"sqlite:///{tmp_path / 's.db'}", out)
    (member,) = json.loads((model / "model.json").read_text())["members"]
    assert member["windows"]["bands"] == [[0.3, 1.5], [1.5, 5.0]]
    assert member["windows"]["stats"] == ["mean", "bandpower"]
    predict_and_suggest_rat08(model, out, trial, tmp_path)


def test_the_example_study_searches_statistics_against_band_power() -> None:
    from mbr_search.config.study import load_study

    study = load_study("gbdt_pose_spectral")
    assert [value for _, value in study.space.values_of("windows")] == ["none", "stats", "spectral"]
    spectral_set = study.windows_for("spectral")
    assert spectral_set is not None and spectral_set.bands == ((0, 1), (1, 2.5), (2.5, 5))
    assert spectral_set.out_dim(94) == 1034
