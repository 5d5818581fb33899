"""Permutation importance per feature group: the column groups, the permutation itself on
synthetic data with a planted informative group, the real fold refit of a gbdt trial on the
bundled rat videos, and its results.json form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conftest import RAT_MINI

from mbr_search.config.dataset import PoseSettings
from mbr_search.config.windows import WindowSettings
from mbr_search.data.pose import Pose
from mbr_search.errors import DataError
from mbr_search.evaluate.importance.permutation import permutation_importance, permuted
from mbr_search.evaluate.results.importance import FeatureImportance
from mbr_search.features.column_groups import (
    MISSING,
    PAIR,
    PAIR_COLUMNS,
    POSITION,
    POSTURE,
    SPEED,
    WINDOW_STATISTICS,
    group_columns,
    importance_groups,
    pose_column_groups,
    windowed_column_groups,
)
from mbr_search.features.pose_features import pose_features
from mbr_search.features.store import VideoData
from mbr_search.features.windows import window_features
from mbr_search.jsondoc import Node
from mbr_search.models.gbdt import GbdtParams
from mbr_search.training.frame_trainer import FrameTrainer
from mbr_search.training.sequences import Standardiser


def _pose(n_keypoints: int, n_animals: int) -> Pose:
    """Animal 0 stands still, the others walk; keypoint 1 of animal 0 is lost on 10-19."""
    rng = np.random.default_rng(n_keypoints)
    frames = 60
    body = rng.normal(scale=5.0, size=(n_animals, n_keypoints, 2))
    walk = np.cumsum(rng.normal(size=(frames, n_animals, 1, 2)), axis=0)
    walk[:, 0] = 0.0
    xy = (100.0 * np.arange(n_animals)[None, :, None, None] + body[None] + walk).astype(np.float32)
    likelihood = np.ones(xy.shape[:3], dtype=np.float32)
    xy[10:20, 0, 1] = np.nan
    names = tuple(f"k{i}" for i in range(n_keypoints))
    animals = tuple(f"a{i}" for i in range(n_animals))
    return Pose(xy, likelihood, animals, names, Path("synthetic.csv"))


@pytest.mark.parametrize(("n_keypoints", "n_animals"), [(5, 2), (4, 1), (3, 3)])
def test_pose_column_groups_cover_every_pose_feature_column(
    n_keypoints: int, n_animals: int
) -> None:
    feats, dim = pose_features(_pose(n_keypoints, n_animals), PoseSettings(), fps=10.0)
    names = pose_column_groups(n_keypoints, n_animals)
    assert len(names) == dim == feats.shape[1]
    if (n_keypoints, n_animals) == (5, 2):
        assert dim == 94  # the bundled rat pairs
    groups = group_columns(names)
    per_animal = (dim - PAIR_COLUMNS * n_animals * (n_animals - 1)) // n_animals
    assert len(groups.get(PAIR, [])) == PAIR_COLUMNS * n_animals * (n_animals - 1)
    assert len(groups[POSTURE]) == 2 * n_keypoints * n_animals
    # The groups sit where pose_features puts them: the still animal has no speed ...
    speed_0 = [c for c in groups[SPEED] if c < per_animal]
    assert len(speed_0) == 4 + n_keypoints and np.allclose(feats[:, speed_0], 0.0, atol=1e-5)
    if n_animals > 1:  # ... and the walking one has
        speed_1 = [c for c in groups[SPEED] if per_animal <= c < 2 * per_animal]
        assert np.abs(feats[:, speed_1]).max() > 0.01
    # ... and only its lost keypoint is flagged missing, on the frames it was lost
    missing = feats[:, [c for c in groups[MISSING] if c < per_animal]]
    assert missing[10:20, 1].all() and missing.sum() == 10
    position = feats[:, groups[POSITION][:3]]  # the still animal: x, y, nearest wall
    assert np.ptp(position, axis=0).max() < 1e-5 and 0 <= position[0, 2] <= 0.5


def test_window_columns_belong_to_their_base_group_and_window() -> None:
    settings = WindowSettings(seconds=(0.5, 1.5), stats=("mean", "max"), raw=True)
    base = ("a", "a", "b")
    names = windowed_column_groups(base, settings)
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    assert len(names) == window_features(x, 10.0, settings).shape[1] == 3 * 5
    assert names[:3] == base and names[3:6] == ("a · 0.5 s window",) * 2 + ("b · 0.5 s window",)
    assert names[-1] == "b · 1.5 s window"
    groups = importance_groups(names)
    assert list(groups[WINDOW_STATISTICS]) == list(range(3, 15))
    assert len(groups["a · 1.5 s window"]) == 4  # 2 columns x 2 statistics
    assert WINDOW_STATISTICS not in importance_groups(base)


def _planted(n_videos: int, seed: int) -> list[VideoData]:
    """Videos whose behaviour 'hit' is column 0-1 ('signal'), behaviour 'faint' is column 2
    plus heavy noise ('weak'), columns 3-7 are noise."""
    rng = np.random.default_rng(seed)
    videos = []
    for i in range(n_videos):
        n = 400
        hit = (np.sin(np.arange(n) / (7 + i)) > 0.3).astype(np.uint8)
        faint = (rng.random(n) < 0.3).astype(np.uint8)
        x = rng.normal(size=(n, 8))
        x[:, 0] += 2.5 * hit
        x[:, 1] += 2.0 * hit
        x[:, 2] += 1.2 * faint
        labels = np.stack([hit, faint], axis=1)
        videos.append(VideoData(f"v{i}", "train", x.astype(np.float16), labels, True))
    return videos


def test_permutation_importance_ranks_the_planted_group_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # LightGBM on a shared machine: no spinning
    train, val = _planted(4, seed=1), _planted(2, seed=2)
    val = [VideoData(f"val{i}", "train", v.features, v.labels, True) for i, v in enumerate(val)]
    params = GbdtParams.from_dict({"num_leaves": 8, "learning_rate": 0.1})
    trainer = FrameTrainer(params, ("hit", "faint"), n_features=8, seed=0)
    scaler = Standardiser(np.zeros(8, np.float32), np.ones(8, np.float32))
    models = trainer.fit_all(train, scaler, {"hit": 40, "faint": 40})
    by_id = {v.id: v for v in val}

    def predict(vid: str, x: np.ndarray) -> np.ndarray:
        video = by_id[vid]
        return trainer.predict(models, VideoData(vid, "train", x, video.labels, True), scaler)

    groups = group_columns(["signal", "signal", "weak", *["noise"] * 5])
    features = {v.id: np.asarray(v.features, np.float32) for v in val}
    labels = {v.id: v.labels for v in val}
    base, drops = permutation_importance(predict, features, labels, groups, ("hit", "faint"))
    assert base["hit"] is not None and base["hit"] > 0.9
    assert drops[0].group == "signal"
    by = {d.group: d for d in drops}
    assert by["signal"].drop["hit"] > 0.3  # type: ignore[operator]
    assert by["weak"].drop["faint"] > by["noise"].drop["faint"]  # type: ignore[operator]
    assert abs(by["noise"].drop["hit"]) < 0.02  # type: ignore[arg-type]
    assert by["signal"].columns == 2 and by["noise"].columns == 5
    again = permutation_importance(predict, features, labels, groups, ("hit", "faint"))
    assert again == (base, drops)  # seeded: the same numbers twice


def test_permuting_shuffles_a_group_together_and_leaves_the_rest() -> None:
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    out = permuted(x, np.array([1, 2]), np.random.default_rng(0))
    assert np.array_equal(out[:, [0, 3]], x[:, [0, 3]])
    assert not np.array_equal(out[:, 1], x[:, 1])
    assert np.array_equal(out[:, 2] - out[:, 1], np.ones(10))  # rows moved together
    assert sorted(out[:, 1]) == sorted(x[:, 1])


@pytest.mark.slow
def test_a_gbdt_trial_gets_importance_from_its_refitted_folds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluate path on the bundled rat videos: folds refitted with recorded rounds."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    from mbr_search.config.study import load_study
    from mbr_search.evaluate.features_info import feature_settings
    from mbr_search.evaluate.importance.run import column_names, winner_importance
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import video_folds
    from mbr_search.search.record import TrialRecord
    from mbr_search.search.views import FeatureViews

    (tmp_path / "space.yaml").write_text(
        "name: tiny_gbdt\nmodel: gbdt\nparams:\n  num_leaves: {type: int, low: 8, high: 16}\n"
        "fixed: {max_rounds: 30, frame_step: 4}\n"
    )
    (tmp_path / "s.yaml").write_text(
        f"name: tiny_gbdt\ndataset: {RAT_MINI}\nbehaviours: [social, nonsocial, aggression]\n"
        "fps: 10\nfeatures: {backbone: pose}\nspace: space.yaml\n"
        "cv: {scheme: group_kfold, k: 3, max_folds: 2, promote: 0}\nseed: 0\n"
    )
    study = load_study(str(tmp_path / "s.yaml"), cache_dir=tmp_path / "cache")
    params = GbdtParams.from_dict({"num_leaves": 8, "max_rounds": 30, "frame_step": 4})
    train = load_split(study, "train", windows=None)
    view = FeatureViews(study, train, base_windows=None).for_params(params)
    folds = video_folds(train, study.cv, study.seed)
    rounds = {b: 15 for b in study.behaviours}
    record = TrialRecord(7, params.record(), best_epochs={str(f.index): rounds for f in folds})
    oof = [v for f in folds for v in f.validation]
    names = column_names(feature_settings(study), 94, view)
    got = winner_importance(study, record, params, view, names, oof)
    assert got.skipped is None and got.trial == 7 and got.family == "gbdt"
    assert {g.group for g in got.groups} >= {"speed", "distances", "pair features", "posture"}
    assert sum(g.columns for g in got.groups) == 94
    assert all(v is not None and 0 < v <= 1 for v in got.baseline.values())
    top = got.groups[0]
    assert top.drop["social"] is not None and top.drop["social"] > 0  # something matters
    skipped = winner_importance(study, record, params, view, names, oof, families={"lstm"})
    assert skipped.groups == () and "not computed for gbdt" in (skipped.skipped or "")
    slow = dataclasses.replace(record, train_seconds=900.0)  # folds took 900 s in the search
    over = winner_importance(study, slow, params, view, names, oof, budget=600.0)
    assert over.groups == () and "took 900 s" in (over.skipped or "")
    wrong = winner_importance(study, record, params, view, names[:-1], oof)
    assert "93 columns" in (wrong.skipped or "")


def test_importance_round_trips_through_json() -> None:
    from mbr_search.evaluate.results.importance import GroupImportance

    value = FeatureImportance(
        trial=3, family="gbdt", repeats=3, seed=0, baseline={"a": 0.5, "b": None},
        groups=(GroupImportance("speed", 12, {"a": 0.1, "b": None}, {"a": 0.01, "b": None}),),
        seconds=1.5,
    )  # fmt: skip
    assert FeatureImportance.from_json(Node(value.to_json(), "results.json")) == value
    bad = value.to_json() | {"groups": [{"group": "x"}]}
    with pytest.raises(DataError, match="groups\\[0\\].columns' is missing"):
        FeatureImportance.from_json(Node(bad, "results.json", "importance"))
