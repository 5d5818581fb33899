"""Test-time augmentation (``inference/tta.py``, ``--tta`` on predict and evaluate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import RAT08_POSE, RAT_MINI, run_cli, write_tiny_study

STEM = "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered"
BEHAVIOURS = ["social", "nonsocial", "aggression"]


def _rat08() -> tuple[Any, Any, Any]:
    """The bundled rat08: its dataset entry, pose settings and raw keypoints."""
    from mbr_search.config.dataset import load_dataset
    from mbr_search.data.pose import read_pose

    dataset = load_dataset(RAT_MINI)
    entry = next(v for v in dataset.videos if v.id == "rat08")
    return entry, dataset.pose, read_pose(entry.pose, entry.pose_format)


def _base_video(tmp_path: Path) -> Any:
    """rat08's cached base features at 10 fps, as evaluate and predict read them."""
    from mbr_search.features.store import VideoData, pose_entry

    entry, settings, _ = _rat08()
    x = pose_entry(entry, settings, 10.0, tmp_path / "cache").load()
    return VideoData("rat08", "test", x, np.zeros((len(x), 3), np.int8), False)


def _member(augment: bool, weight: float = 1.0) -> Any:
    from mbr_search.inference.model_dir import Group, Member
    from mbr_search.models.lstm import LstmParams

    params = LstmParams(seq_len=150, lstm_units=8, augment=augment)
    return Member(None, params, (Group("m0_all.keras", (0, 1, 2)),), weight)


def _fake_predict(columns: np.ndarray | None = None) -> Any:
    """A member that reads the features only: a logistic of each frame's mean over
    ``columns`` (default all), shifted per behaviour (no Keras)."""

    def predict(member: Any, nets: Any, scaler: Any, video: Any, n: int) -> np.ndarray:
        x = np.asarray(video.features, dtype=np.float64)
        x = x[:, columns] if columns is not None else x
        z = x.mean(axis=1)[:, None] + np.arange(n)[None, :] * 0.1 + member.weight
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    return predict


def test_the_transform_set_is_fixed_and_starts_with_the_identity() -> None:
    from mbr_search.config.augment import AugmentSettings
    from mbr_search.features.augment import Transform
    from mbr_search.inference.tta import identity, transform_set

    every = transform_set(AugmentSettings(), 2)
    assert every == transform_set(AugmentSettings(), 2)  # deterministic: no random draw
    assert every[0] == identity(2) and len(every) == 16 == len(set(every))
    assert {t.angle for t in every} == {0.0, np.pi / 2, np.pi, 3 * np.pi / 2}
    assert {t.order for t in every} == {(0, 1), (1, 0)} and {t.mirror for t in every} == {
        False,
        True,
    }
    assert all(not any(t.noise) for t in every)  # never noise, whatever the study trains on
    # one animal: nothing to swap; transforms switched off stay off
    assert len(transform_set(AugmentSettings(), 1)) == 8
    mirror_only = AugmentSettings(rotate=False, reflect=True, swap_identities=False)
    assert transform_set(mirror_only, 2) == (identity(2), Transform(0.0, True, (0, 1), (0.0, 0.0)))


def test_the_identity_view_is_the_cached_features_bit_for_bit(tmp_path: Path) -> None:
    from mbr_search.features.augmented import transformed_features
    from mbr_search.inference.tta import identity

    entry, settings, pose = _rat08()
    cached = _base_video(tmp_path).features
    again = transformed_features(
        pose, identity(2), settings, entry.fps, 10.0, np.random.default_rng(0)
    )
    assert again.dtype == np.float16 and np.array_equal(again, cached)


def test_tta_with_only_the_identity_equals_plain_prediction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mbr_search.inference import probabilities
    from mbr_search.inference.tta import TtaVideo, identity, tta_predict_videos
    from mbr_search.training.sequences import Standardiser

    monkeypatch.setattr(probabilities, "predict_member", _fake_predict())
    video = _base_video(tmp_path)
    members = [_member(True, 0.7), _member(False, 0.3)]
    nets: list[list[object]] = [[None], [None]]
    scaler = Standardiser(np.zeros(video.features.shape[1]), np.ones(video.features.shape[1]))
    plain = probabilities.predict_videos(members, nets, scaler, [video], 3)["rat08"]
    one = TtaVideo((identity(2),), (video,))
    tta = tta_predict_videos(members, nets, scaler, [one], 3)["rat08"]
    assert tta.dtype == plain.dtype and np.array_equal(tta, plain)


def test_tta_of_features_that_no_transform_changes_gives_the_plain_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inter-keypoint distances and body-length ratios survive rotation, mirror and a swap
    (the fake member averages them over both rats): TTA changes nothing. Every other view
    does differ from the video, so the averaging is not vacuous."""
    from mbr_search.config.augment import AugmentSettings
    from mbr_search.features.column_groups import DISTANCES, pose_column_groups
    from mbr_search.inference import probabilities
    from mbr_search.inference.tta import transform_set, tta_member_probabilities, tta_video
    from mbr_search.training.sequences import Standardiser

    entry, settings, pose = _rat08()
    groups = np.array(pose_column_groups(len(pose.keypoints), 2))
    video = _base_video(tmp_path)
    assert len(groups) == video.features.shape[1]
    monkeypatch.setattr(
        probabilities, "predict_member", _fake_predict(np.flatnonzero(groups == DISTANCES))
    )
    views = tta_video(video, pose, settings, (entry.fps, 10.0), transform_set(AugmentSettings(), 2))
    assert len(views.views) == 16
    assert all(not np.array_equal(v.features, video.features) for v in views.views[1:])
    members = [_member(True)]
    scaler = Standardiser(np.zeros(1), np.ones(1))
    tta = tta_member_probabilities(members, [[None]], scaler, views, 3)[0]
    plain = probabilities.member_probabilities(members, [[None]], scaler, video, 3)[0]
    assert np.abs(tta - plain).max() < 1e-3  # float16 rounding of moved coordinates only


def test_tta_averages_only_members_trained_on_augmented_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mbr_search.inference import probabilities
    from mbr_search.inference.tta import TtaVideo, identity, tta_member_probabilities
    from mbr_search.training.sequences import Standardiser

    monkeypatch.setattr(probabilities, "predict_member", _fake_predict())
    video = _base_video(tmp_path)
    shifted = type(video)("rat08", "test", video.features + np.float16(1), video.labels, False)
    two = TtaVideo((identity(2), identity(2)), (video, shifted))  # the views' content is free
    scaler = Standardiser(np.zeros(1), np.ones(1))
    both = tta_member_probabilities(
        [_member(True), _member(False)], [[None], [None]], scaler, two, 3
    )
    alone = [
        probabilities.member_probabilities([_member(True)], [[None]], scaler, v, 3)[0]
        for v in (video, shifted)
    ]
    assert np.allclose(both[0], (alone[0].astype(np.float64) + alone[1]) / 2, atol=1e-7)
    assert np.array_equal(both[1], alone[0])  # augment: false sees the video only


def test_tta_is_on_off_or_the_default_and_never_the_default_for_cnn_models() -> None:
    from mbr_search.errors import UsageError
    from mbr_search.inference import tta

    assert tta.resolve(None, "pose", "m") is tta.DEFAULT
    assert tta.resolve(True, "pose", "m") and not tta.resolve(False, "pose", "m")
    assert not tta.resolve(None, "mobilenet_v3_small", "m")  # the default never refuses
    assert not tta.resolve(False, "mobilenet_v3_small", "m")
    with pytest.raises(UsageError, match="Fix: leave out --tta"):
        tta.resolve(True, "mobilenet_v3_small", "m")
    assert tta.uses_views([_member(False), _member(True)])
    assert not tta.uses_views([_member(False)])


def test_tta_on_a_cnn_model_is_refused_with_exit_code_2(tmp_path: Path) -> None:
    from mbr_search.config.embed import CropSettings, EmbedSettings
    from mbr_search.inference import model_dir
    from mbr_search.scoring.postprocess import PostProcess
    from mbr_search.training.sequences import Standardiser

    folder = tmp_path / "cnn_model"
    folder.mkdir()
    (folder / "m0_all.keras").write_bytes(b"placeholder: only the manifest is read")
    embed = EmbedSettings("mobilenet_v3_small", "none", CropSettings(32, ("midbody",)), 10.0)
    model_dir.save(
        model_dir.ModelDir(
            path=folder, behaviours=("a", "b", "c"), fps=10.0, backbone="mobilenet_v3_small",
            features=model_dir.CnnFeatures(embed, uses_pose=True), feature_dim=4,
            source_fps=30.0, members=(_member(True),),
            thresholds={"a": 0.5, "b": 0.5, "c": 0.5},
            postprocess={b: PostProcess() for b in "abc"},
            standardiser=Standardiser(np.zeros(4, np.float32), np.ones(4, np.float32)),
            info=model_dir.ModelInfo("s", "d", 3, 0.5, ("v1",)),
        )
    )  # fmt: skip
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not read")
    for command in ("predict", "suggest"):
        out = tmp_path / command
        res = run_cli(command, str(folder), str(video), "--out", str(out), "--tta")
        assert res.returncode == 2, res.stderr
        assert "--tta" in res.stderr and "pose" in res.stderr
        assert "Fix: leave out --tta" in res.stderr
        assert "Traceback" not in res.stderr and not out.exists()


TTA_SPACE = """\
name: tiny_lstm_augmented
model: lstm
fixed:
  lstm_units: 8
  learning_rate: 0.005
  seq_len: 150
  batch_size: 16
  augment: true
"""


@pytest.mark.slow
def test_evaluate_predict_and_suggest_with_tta_end_to_end(tmp_path: Path) -> None:
    """One augmented trial; ``evaluate --tta`` scores the test videos with TTA and ``predict
    --tta`` on rat08 gives the same probabilities; without --tta predict differs; ``suggest``
    ranks the probabilities predict gives with the same flag."""
    study = write_tiny_study(tmp_path / "s", name="tta")
    (tmp_path / "s" / "tiny_space.yaml").write_text(TTA_SPACE)
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ran = run_cli("run", str(study), "--trials", "1", "--storage", storage, "--no-progress")
    assert ran.returncode == 0, ran.stderr
    out = tmp_path / "report"
    ev = run_cli(
        "evaluate", str(study), "--top", "1", "--no-importance", "--storage", storage,
        "--out", str(out), "--tta",
    )  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    assert "predicted with TTA: 16 views each" in ev.stderr
    results = json.loads((out / "results.json").read_text())
    assert (results["settings"]["tta"], results["settings"]["tta_views"]) == (True, 16)
    assert "Test videos predicted with test-time augmentation (TTA): 16 views" in ev.stdout
    tested = pd.read_csv(out / results["trials"][0]["test"]["files"]["rat08"])
    probs = {}
    for flag in ("--tta", "--no-tta"):
        pred = tmp_path / f"pred{flag}"
        args = ["predict", str(out / "model"), str(RAT08_POSE), "--out", str(pred)]
        res = run_cli(*args, flag)
        assert res.returncode == 0, res.stderr
        probs[flag] = pd.read_csv(pred / f"{STEM}_frames.csv")
    for b in BEHAVIOURS:
        assert np.allclose(probs["--tta"][f"{b}_prob"], tested[f"{b}_prob"], atol=1e-4)
    assert not np.allclose(probs["--tta"]["social_prob"], probs["--no-tta"]["social_prob"])
    for flag in ("--tta", "--no-tta"):
        _check_suggest_ranks_predicts_probabilities(out / "model", probs[flag], flag, tmp_path)


def _check_suggest_ranks_predicts_probabilities(
    model: Path, predicted: pd.DataFrame, flag: str, tmp_path: Path
) -> None:
    """``suggest`` (one member) ranks the probabilities ``predict`` gave with the same flag."""
    from mbr_search.inference import model_dir
    from mbr_search.suggest import Lengths
    from mbr_search.suggest.rank import rank

    out = tmp_path / f"suggest{flag}"
    res = run_cli("suggest", str(model), str(RAT08_POSE), "--n", "4", "--out", str(out), flag)
    assert res.returncode == 0, res.stderr
    assert ("(with TTA)" in res.stderr) == (flag == "--tta")
    saved = json.loads((out / "suggestions.json").read_text())
    assert saved["tta"] is (flag == "--tta")
    loaded = model_dir.load(model)
    member = predicted[[f"{b}_prob" for b in BEHAVIOURS]].to_numpy(np.float32)[None]
    settings = Lengths().settings(4, float(loaded.fps or 10.0))
    expected = rank({STEM: member}, BEHAVIOURS, loaded.threshold_list, [1.0], settings)
    got = [s["segment"] for s in saved["suggestions"]]
    assert [(g["behaviour"], g["start"], g["stop"]) for g in got] == [
        (e.behaviour, e.start, e.stop) for e in expected
    ]


def _study_model(tmp_path: Path, features: str) -> tuple[Any, Any]:
    """A tiny study with ``features`` and the model directory evaluate would write for it
    (its feature settings from ``evaluate/features_info.py``; a placeholder model file)."""
    from mbr_search.config.study import load_study
    from mbr_search.evaluate.features_info import feature_settings, source_fps
    from mbr_search.inference import model_dir
    from mbr_search.scoring.postprocess import PostProcess
    from mbr_search.training.sequences import Standardiser

    path = write_tiny_study(tmp_path / "s", name="aug")
    path.write_text(path.read_text().replace("features: {backbone: pose}", features))
    study = load_study(str(path))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "m0_all.keras").write_bytes(b"placeholder: only the manifest is read")
    dim = _base_video(tmp_path).features.shape[1]
    model_dir.save(
        model_dir.ModelDir(
            path=folder, behaviours=tuple(BEHAVIOURS), fps=study.fps, backbone="pose",
            features=feature_settings(study), feature_dim=dim, source_fps=source_fps(study),
            members=(_member(True),), thresholds=dict.fromkeys(BEHAVIOURS, 0.5),
            postprocess={b: PostProcess() for b in BEHAVIOURS},
            standardiser=Standardiser(np.zeros(dim, np.float32), np.ones(dim, np.float32)),
            info=model_dir.ModelInfo("aug", "rat", 0, 0.5, ("rat01",)),
        )
    )  # fmt: skip
    return study, folder


def _predict_views(folder: Path, tmp_path: Path) -> Any:
    """rat08 prepared as ``predict`` prepares it, with its TTA views."""
    from mbr_search.inference import model_dir
    from mbr_search.predict.inputs import prepare, tta_input

    model = model_dir.load(folder)
    prepared = prepare(model, RAT08_POSE, source_fps=None, pose=None, cache_root=tmp_path / "cache")
    return tta_input(model, prepared, None)


def test_predict_builds_the_views_of_the_studys_augment_settings(tmp_path: Path) -> None:
    """model.json records ``features.augment``: with ``reflect: false`` predict's TTA uses
    the 8 unmirrored views evaluate uses, not the default 16."""
    from mbr_search.config.augment import AugmentSettings
    from mbr_search.inference import model_dir
    from mbr_search.inference.tta import study_tta_videos

    features = "features: {backbone: pose, augment: {reflect: false, noise: 0.05}}"
    study, folder = _study_model(tmp_path, features)
    saved = json.loads((folder / "model.json").read_text())["features"]["augment"]
    assert saved == AugmentSettings(reflect=False, noise=0.05).as_dict()
    assert model_dir.load(folder).pose_features.augment == study.augment
    predicted = _predict_views(folder, tmp_path)
    (evaluated,) = study_tta_videos(study, [_base_video(tmp_path)])
    assert predicted.transforms == evaluated.transforms and len(predicted.transforms) == 8
    assert not any(t.mirror for t in predicted.transforms)
    for mine, theirs in zip(predicted.views, evaluated.views, strict=True):
        assert np.array_equal(mine.features, theirs.features)


def test_a_model_json_without_augment_settings_reads_as_the_defaults(tmp_path: Path) -> None:
    """A model directory written before model.json recorded ``features.augment`` loads,
    and predict's TTA uses the default settings' 16 views."""
    from mbr_search.config.augment import AugmentSettings
    from mbr_search.inference import model_dir

    _, folder = _study_model(tmp_path, "features: {backbone: pose, augment: {reflect: false}}")
    manifest = folder / "model.json"
    data = json.loads(manifest.read_text())
    del data["features"]["augment"]
    manifest.write_text(json.dumps(data, indent=2))
    assert model_dir.load(folder).pose_features.augment == AugmentSettings()
    assert len(_predict_views(folder, tmp_path).transforms) == 16
