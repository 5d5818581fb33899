from __future__ import annotations

import numpy as np
import pytest

from mbr_search.features.store import VideoData
from mbr_search.training.sequences import MomentCache, class_weights, cut, packed_targets, unpad


def _video(vid: str, n: int, dim: int = 3, seed: int = 0) -> VideoData:
    rng = np.random.default_rng(seed)
    feats = rng.normal(2.0, 3.0, (n, dim)).astype(np.float16)
    labels = (rng.random((n, 2)) < 0.2).astype(np.uint8)
    return VideoData(vid, "train", feats, labels, True)


def test_every_frame_is_in_exactly_one_masked_place_and_nothing_is_dropped() -> None:
    a, b, c = _video("a", 250), _video("b", 100, seed=1), _video("c", 60, seed=2)
    scaler = MomentCache([a, b, c]).standardiser(["a", "b", "c"])
    data = cut([a, b, c], 100, scaler)
    assert data.x.shape == (5, 100, 3)  # ceil(250/100) + 1 + 1
    assert data.mask.sum() == 410
    # a's last sequence is its last 100 real frames; the 50 already covered are masked out
    assert not data.mask[2, :50].any() and data.mask[2, 50:].all()
    np.testing.assert_allclose(
        data.x[2].astype(np.float32), scaler.apply(a.features[150:250]), atol=2e-3
    )
    # only a video shorter than seq_len is zero-padded (and the padding masked out)
    assert data.mask[4, :60].all() and not data.mask[4, 60:].any()
    assert np.all(data.x[4, 60:] == 0)
    np.testing.assert_array_equal(unpad(data.y, data, "a"), a.labels)
    np.testing.assert_array_equal(unpad(data.y, data, "c"), c.labels)
    assert data.x.dtype == np.float16  # half the memory of float32, like the cache
    np.testing.assert_allclose(unpad(data.x, data, "b"), scaler.apply(b.features), atol=2e-3)
    np.testing.assert_allclose(unpad(data.x, data, "a"), scaler.apply(a.features), atol=2e-3)


def test_standardiser_uses_only_the_given_videos() -> None:
    a, b = _video("a", 500), _video("b", 500, seed=3)
    b = VideoData("b", "train", (np.asarray(b.features) + 100).astype(np.float16), b.labels, True)
    cache = MomentCache([a, b])
    only_a = cache.standardiser(["a"])
    np.testing.assert_allclose(
        only_a.mean, np.asarray(a.features, dtype=np.float64).mean(0), rtol=1e-3
    )
    assert abs(only_a.apply(a.features).mean()) < 1e-3


def test_sample_weights_follow_thesis_formula_4_1() -> None:
    y = np.zeros((1, 10, 2), dtype=np.uint8)
    y[0, :2, 0] = 1  # 2 positives of 10 frames
    y[0, :5, 1] = 1  # 5 of 10
    mask = np.ones((1, 10), dtype=bool)
    w_neg, w_pos = class_weights(y, mask)
    assert w_pos[0] == pytest.approx(10 / (2 * 2)) and w_neg[0] == pytest.approx(10 / (2 * 8))
    assert w_pos[1] == pytest.approx(1.0) and w_neg[1] == pytest.approx(1.0)
    mask[0, 8:] = False  # padded frames neither count nor weigh
    w_neg, w_pos = class_weights(y, mask)
    assert w_pos[0] == pytest.approx(8 / 4) and w_neg[0] == pytest.approx(8 / 12)


def test_packed_targets_zero_weight_on_padding_and_no_positive_class() -> None:
    a = _video("a", 150)
    a = VideoData("a", "train", a.features, np.zeros_like(a.labels), True)
    data = cut([a], 100, MomentCache([a]).standardiser(["a"]))
    packed = packed_targets(data, [0, 1])
    assert packed.shape == (2, 100, 4)
    assert np.all(packed[1, :50, 2:] == 0)  # frames 50-99 again: already weighed once
    assert np.allclose(packed[..., 2:][data.mask], 0.5)  # all negative: N / (2 N) = 0.5
