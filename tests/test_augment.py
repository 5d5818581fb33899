"""Pose augmentation: the transforms, the copies, and that validation frames are never touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import RAT_MINI, run_cli, write_tiny_study

from mbr_search.config.augment import AugmentSettings
from mbr_search.config.dataset import PoseSettings
from mbr_search.data.pose import Pose, read_pose
from mbr_search.errors import ConfigError
from mbr_search.features import augment
from mbr_search.features.pose_features import pose_features

POSE = RAT_MINI.parent / "dlc" / "1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"


def _distances(xy: np.ndarray) -> np.ndarray:
    """Every pairwise keypoint distance within each frame (all animals together)."""
    pts = xy.reshape(len(xy), -1, 2)
    return np.linalg.norm(pts[:, :, None] - pts[:, None], axis=3)


def _points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 640, size=(50, 2, 5, 2))
    xy[3, 1, 2] = np.nan  # a missing keypoint stays missing
    return xy


def test_rotation_and_reflection_preserve_inter_keypoint_distances() -> None:
    xy = _points()
    centre = augment.arena_centre(xy)
    for moved in (augment.rotate(xy, 1.234, centre), augment.reflect(xy, centre)):
        assert not np.allclose(moved[np.isfinite(moved)], xy[np.isfinite(xy)])
        np.testing.assert_allclose(_distances(moved), _distances(xy), rtol=1e-9, equal_nan=True)
        assert np.isnan(moved[3, 1, 2]).all()
    # A quarter turn about the centre sends (cx + 1, cy) to (cx, cy + 1).
    point = np.array([[[[centre[0] + 1.0, centre[1]]]]])
    turned = augment.rotate(point, np.pi / 2, centre)[0, 0, 0]
    np.testing.assert_allclose(turned, centre + np.array([0.0, 1.0]))
    np.testing.assert_allclose(augment.reflect(augment.reflect(xy, centre), centre), xy)


def test_a_drawn_transform_keeps_distances_without_noise() -> None:
    xy = _points(1)
    settings = AugmentSettings(rotate=True, reflect=True, swap_identities=False, noise=0.0)
    rng = np.random.default_rng(7)
    t = augment.draw(settings, 2, rng)
    moved, _ = augment.apply(t, xy, np.ones(xy.shape[:3]), np.array([50.0, 50.0]), rng)
    np.testing.assert_allclose(_distances(moved), _distances(xy), rtol=1e-5, equal_nan=True)


def test_noise_is_in_body_lengths_and_seeded() -> None:
    xy = np.zeros((4000, 2, 3, 2))
    lengths = np.array([10.0, 40.0])
    t = augment.Transform(0.0, False, (0, 1), (0.05, 0.05))
    a, _ = augment.apply(t, xy, np.ones(xy.shape[:3]), lengths, np.random.default_rng(3))
    b, _ = augment.apply(t, xy, np.ones(xy.shape[:3]), lengths, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)  # the seed alone decides the draw
    # standard deviation 0.05 body lengths: 0.5 px for the 10 px animal, 2 px for the 40 px one
    assert np.std(a[:, 0]) == pytest.approx(0.5, rel=0.05)
    assert np.std(a[:, 1]) == pytest.approx(2.0, rel=0.05)


def test_identity_swap_swaps_the_per_animal_feature_blocks() -> None:
    pose = read_pose(POSE)
    assert pose.xy.shape[1] == 2
    settings = PoseSettings(likelihood_threshold=0.3, axis=("tail", "top"))
    t = augment.Transform(0.0, False, (1, 0), (0.0, 0.0))
    xy, lik = augment.apply(t, pose.xy, pose.likelihood, np.ones(2), np.random.default_rng(0))
    swapped = Pose(xy, lik, pose.individuals, pose.keypoints, pose.source)
    base, dim = pose_features(pose, settings, 30.0)
    moved, _ = pose_features(swapped, settings, 30.0)
    pair = 7  # relative features of one ordered pair (pose_features)
    per_animal = (dim - 2 * pair) // 2
    a0, a1 = slice(0, per_animal), slice(per_animal, 2 * per_animal)
    p01, p10 = slice(2 * per_animal, 2 * per_animal + pair), slice(2 * per_animal + pair, dim)
    np.testing.assert_array_equal(moved[:, a0], base[:, a1])
    np.testing.assert_array_equal(moved[:, a1], base[:, a0])
    np.testing.assert_array_equal(moved[:, p01], base[:, p10])
    np.testing.assert_array_equal(moved[:, p10], base[:, p01])


def _augmented_study(tmp_path: Path, features: str, space_extra: str = "") -> Path:
    path = write_tiny_study(tmp_path)
    text = path.read_text().replace("features: {backbone: pose}", f"features: {features}")
    path.write_text(text)
    space = tmp_path / "tiny_space.yaml"
    space.write_text(space.read_text() + space_extra)
    return path


def test_copies_are_seeded_per_fold_and_keep_the_labels(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split
    from mbr_search.search.views import FeatureViews

    study = load_study(str(_augmented_study(tmp_path, "{backbone: pose, augment: {copies: 2}}")))
    view = FeatureViews(study, load_split(study, "train")).get("none")
    assert view.augmenter is not None
    videos = list(view.videos[:2])
    first = view.augmenter.copies(videos, seed=11)
    again = view.augmenter.copies(videos, seed=11)
    other = view.augmenter.copies(videos, seed=12)
    assert [c.id for c in first] == ["rat01~aug0", "rat01~aug1", "rat02~aug0", "rat02~aug1"]
    for c, same, diff in zip(first, again, other, strict=True):
        assert c.features.dtype == np.float16 and c.features.shape == videos[0].features.shape
        np.testing.assert_array_equal(c.features, same.features)
        assert not np.array_equal(c.features, diff.features)
    np.testing.assert_array_equal(first[0].labels, videos[0].labels)
    assert not np.array_equal(first[0].features, videos[0].features)


class _CutSpy:
    """Records what the real ``cut`` was given and returned (the arrays the model sees)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[tuple[list[str], Any]] = []

    def __call__(self, videos: Any, seq_len: int, scaler: Any) -> Any:
        out = self.real(videos, seq_len, scaler)
        self.calls.append(([v.id for v in videos], out))
        return out


@pytest.mark.slow
def test_augmentation_never_touches_validation_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split
    from mbr_search.models.lstm import LstmParams
    from mbr_search.search.views import FeatureViews
    from mbr_search.training import sequence_trainer
    from mbr_search.training.trainers import FoldLimits, trainer_for

    study = load_study(str(_augmented_study(tmp_path, "{backbone: pose, augment: {copies: 1}}")))
    view = FeatureViews(study, load_split(study, "train")).get("none")
    assert view.augmenter is not None
    train, val = list(view.videos[:2]), list(view.videos[2:3])
    seen = {}
    for on in (False, True):
        spy = _CutSpy(sequence_trainer.cut)
        monkeypatch.setattr(sequence_trainer, "cut", spy)
        params = LstmParams(seq_len=150, lstm_units=4, multi_label=True, augment=on)
        trainer = trainer_for(
            params, study.behaviours, n_features=view.dim, seed=1,
            augment=view.augmenter.copies,
        )  # fmt: skip
        try:
            fitted = trainer.fit_fold(
                train, val, view.standardiser([v.id for v in train]), trainable=[0, 1, 2],
                limits=FoldLimits(1, 1), seed=5,
            )  # fmt: skip
        finally:
            trainer.close()
        (train_ids, train_seq), (val_ids, val_seq) = spy.calls
        seen[on] = (train_ids, train_seq, val_ids, val_seq)
        assert set(fitted.probs) == {"rat05"}
    off_train, on_train = seen[False][0], seen[True][0]
    assert off_train == ["rat01", "rat02"]
    assert on_train == ["rat01", "rat02", "rat01~aug0", "rat02~aug0"]
    assert len(seen[True][1].x) == 2 * len(seen[False][1].x)
    assert seen[False][2] == seen[True][2] == ["rat05"]
    off_val, on_val = seen[False][3], seen[True][3]
    for name in ("x", "y", "mask"):  # bit-identical validation arrays, augmented or not
        np.testing.assert_array_equal(getattr(on_val, name), getattr(off_val, name))
    assert on_val.owners == off_val.owners


@pytest.mark.parametrize(
    ("features", "needle"),
    [
        ("{backbone: pose, augment: {copies: 0}}", "features.augment.copies: is 0, must be 1..10"),
        ("{backbone: pose, augment: {noise: 3}}", "augment.noise: is 3 body lengths, must be 0..1"),
        ("{backbone: pose, augment: {rotat: true}}", "features.augment.rotat: unknown key"),
        (
            "{backbone: pose, augment: {rotate: false, reflect: false, swap_identities: false, "
            "noise: 0}}",
            "features.augment: every transform is off",
        ),
    ],
)
def test_a_bad_augment_setting_is_exit_2_and_one_line(
    tmp_path: Path, features: str, needle: str
) -> None:
    path = _augmented_study(tmp_path, features)
    result = run_cli("run", str(path), "--trials", "1", "--no-progress")
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_augmentation_with_cnn_features_names_the_key_and_the_fix(tmp_path: Path) -> None:
    from mbr_search.config.study import load_study

    cnn = "{backbone: resnet50v2, weights: imagenet, augment: {copies: 1}}"
    with pytest.raises(ConfigError, match=r"features\.augment: augments keypoints.*Fix: remove"):
        load_study(str(_augmented_study(tmp_path / "a", cnn)))
    searched = "  augment: {type: categorical, choices: [false, true]}\n"
    path = _augmented_study(tmp_path / "b", "{backbone: resnet50v2, weights: imagenet}")
    space = tmp_path / "b" / "tiny_space.yaml"
    space.write_text(space.read_text().replace("params:\n", "params:\n" + searched))
    with pytest.raises(ConfigError, match="augment: augment can be true.*needs pose features"):
        load_study(str(path))


def test_augment_belongs_to_the_sequence_families_only(tmp_path: Path) -> None:
    from mbr_search.config.space import load_space

    space = tmp_path / "s.yaml"
    space.write_text("model: gbdt\nfixed: {augment: true}\n")
    with pytest.raises(
        ConfigError, match="augment: belongs to the lstm / mstcn / tcn / transformer"
    ):
        load_space(space)
