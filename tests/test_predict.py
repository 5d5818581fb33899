"""`mbr-search predict` on bundled pose files with a model directory written by evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _evaluated import Evaluated
from _shared import run_then_evaluate
from conftest import RAT08_POSE, STURMAN_MINI, run_cli

BEHAVIOURS = ["social", "nonsocial", "aggression"]


@pytest.mark.slow
def test_predict_reproduces_the_evaluated_test_predictions(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    out = tmp_path / "pred"
    res = run_cli("predict", str(evaluated.out / "model"), str(RAT08_POSE), "--out", str(out))
    assert res.returncode == 0, res.stderr
    stem = "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered"
    frames = pd.read_csv(out / f"{stem}_frames.csv")
    assert len(frames) == 1500
    assert frames["source_frame"].iloc[:3].tolist() == [0, 3, 6]  # 30 fps -> 10 fps
    # model/ is the selected ensemble (evaluate's default), predicted member by member
    chosen = evaluated.results["selected_ensemble"]
    assert chosen is not None and chosen["method"] == "selection"
    tested = pd.read_csv(evaluated.out / chosen["test"]["files"]["rat08"])
    for b in BEHAVIOURS:
        assert np.allclose(frames[f"{b}_prob"], tested[f"{b}_prob"], atol=1e-4)
        assert np.mean(frames[f"{b}_pred"] == tested[f"{b}_pred"]) > 0.999
    bouts = pd.read_csv(out / f"{stem}_bouts.csv")
    assert list(bouts.columns) == [
        "behaviour", "start_frame", "stop_frame", "start_s", "stop_s", "duration_s",
    ]  # fmt: skip
    for b in BEHAVIOURS:
        mine = bouts[bouts["behaviour"] == b]
        assert int((mine["stop_frame"] - mine["start_frame"]).sum()) == int(
            frames[f"{b}_pred"].sum()
        )
    assert (out / f"{stem}_boris.xlsx").stat().st_size > 0
    assert f"{len(bouts)} bouts" in res.stdout
    _boris_sheet_and_summary_match(out, stem, frames, bouts)


def _boris_sheet_and_summary_match(
    out: Path, stem: str, frames: pd.DataFrame, bouts: pd.DataFrame
) -> None:
    """The BORIS sheet reads back (labels.format: boris) as the prediction; summary.csv
    counts the same bouts and time."""
    from mbr_search.data.labels import LabelSource, read_labels

    sheet = LabelSource(path=out / f"{stem}_boris.xlsx", format="boris")
    back = read_labels(sheet, tuple(BEHAVIOURS), n_frames=len(frames), fps=10.0).values
    for b, behaviour in enumerate(BEHAVIOURS):
        assert np.array_equal(back[:, b], frames[f"{behaviour}_pred"].to_numpy())
    summary = pd.read_csv(out / "summary.csv")
    assert summary["video"].tolist() == [stem] * 3 and summary["behaviour"].tolist() == BEHAVIOURS
    for row in summary.itertuples():
        assert row.bouts == int((bouts["behaviour"] == row.behaviour).sum())
        assert row.total_s == pytest.approx(frames[f"{row.behaviour}_pred"].sum() / 10, abs=1e-4)


@pytest.mark.slow
def test_predict_refuses_a_video_for_a_pose_model_and_other_keypoints(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    model = str(evaluated.out / "model")
    video = tmp_path / "new.mp4"
    video.write_bytes(b"\x00" * 64)
    wrong_kind = run_cli("predict", model, str(video), "--out", str(tmp_path / "p"))
    assert wrong_kind.returncode == 2
    assert "uses pose features (backbone: pose) but this input is a video" in wrong_kind.stderr
    sturman = sorted((STURMAN_MINI.parent / "dlc").glob("*.csv.gz"))[0]
    other = run_cli("predict", model, str(sturman), "--out", str(tmp_path / "p"), "--fps", "25")
    assert other.returncode == 2
    line = other.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "'nose'" in line and "['top', 'body', 'tail', 'tail-m', 'tail-e']" in line
    out = tmp_path / "p"
    not_model = run_cli("predict", str(evaluated.out), str(RAT08_POSE), "--out", str(out))
    assert not_model.returncode == 2 and "give its model/ folder" in not_model.stderr
    assert not out.exists()


def _model(path: Path) -> Any:
    from mbr_search.inference import model_dir
    from mbr_search.models.lstm import LstmParams
    from mbr_search.scoring.postprocess import PostProcess
    from mbr_search.training.sequences import Standardiser

    return model_dir.ModelDir(
        path=path, behaviours=("a", "b"), fps=10.0, backbone="pose",
        features=model_dir.PoseFeatures(
            keypoints=("n", "t"), axis=("t", "n"), likelihood_threshold=0.5,
            individuals=("single",), feature_version=1,
        ),
        feature_dim=4, source_fps=30.0,
        members=(
            model_dir.Member(
                3, LstmParams(seq_len=150, lstm_units=8), (model_dir.Group("m0_all.keras", (0, 1)),)
            ),
        ),
        thresholds={"a": 0.25, "b": 0.5},
        postprocess={"a": PostProcess(3, 0, 5), "b": PostProcess()},
        standardiser=Standardiser(np.arange(4, dtype=np.float32), np.ones(4, np.float32)),
        info=model_dir.ModelInfo("s", "d", 3, 0.5, ("v1", "v2")),
    )  # fmt: skip


def test_a_model_directory_round_trips_without_pickle(tmp_path: Path) -> None:
    from mbr_search.inference import model_dir

    (tmp_path / "m0_all.keras").write_bytes(b"placeholder: only the manifest is read here")
    saved = _model(tmp_path)
    model_dir.save(saved)
    loaded = model_dir.load(tmp_path)
    assert loaded.thresholds == saved.thresholds and loaded.postprocess == saved.postprocess
    assert loaded.members == saved.members and loaded.features == saved.features
    assert loaded.info == saved.info
    assert loaded.members[0].params.seq_len == 150 and loaded.members[0].params.batch_size == 16
    assert np.array_equal(loaded.standardiser.mean, saved.standardiser.mean)
    assert (
        model_dir.ModelDir.from_json(
            saved.to_json(), path=tmp_path, standardiser=saved.standardiser
        )
        == saved
    )
    with np.load(tmp_path / "standardiser.npz", allow_pickle=False) as npz:
        assert set(npz.files) == {"mean", "std"}
    manifest = json.loads((tmp_path / "model.json").read_text())
    assert manifest["format"] == "mbr-search-model" and manifest["source_fps"] == 30.0
    assert manifest == saved.to_json() and manifest["members"][0]["family"] == "lstm"


def test_a_cnn_model_directory_round_trips_its_embedding_settings(tmp_path: Path) -> None:
    from dataclasses import replace

    from mbr_search.config.embed import CropSettings, EmbedSettings
    from mbr_search.inference import model_dir

    (tmp_path / "m0_all.keras").write_bytes(b"placeholder")
    embed = EmbedSettings("mobilenet_v3_small", "none", CropSettings(32, ("midbody",)), 10.0)
    saved = replace(
        _model(tmp_path), backbone="mobilenet_v3_small",
        features=model_dir.CnnFeatures(embed, uses_pose=True),
    )  # fmt: skip
    model_dir.save(saved)
    loaded = model_dir.load(tmp_path)
    assert loaded.cnn_features == saved.features and loaded.cnn_features.embed == embed
    assert json.loads((tmp_path / "model.json").read_text())["features"] == {
        "kind": "cnn", "backbone": "mobilenet_v3_small", "weights": "none",
        "crop": {"size": 32, "keypoints": ["midbody"], "likelihood_threshold": 0.5,
                 "missing": "full_frame"},
        "fps": 10.0, "uses_pose": True,
    }  # fmt: skip


def test_a_manifest_without_family_or_with_a_bad_value_is_read_or_refused(tmp_path: Path) -> None:
    from mbr_search.errors import DataError
    from mbr_search.inference import model_dir

    (tmp_path / "m0_all.keras").write_bytes(b"placeholder")
    saved = _model(tmp_path)
    model_dir.save(saved)
    manifest = json.loads((tmp_path / "model.json").read_text())
    # written before members recorded their family: the family whose params fit all names
    del manifest["members"][0]["family"]
    (tmp_path / "model.json").write_text(json.dumps(manifest))
    assert model_dir.load(tmp_path).members == saved.members
    for key, value, problem in (
        ("feature_dim", "4", "key 'feature_dim' is '4', expected an integer"),
        ("features", {"kind": "pose"}, "key 'features.keypoints' is missing"),
        ("backbone", "resnet50", "key 'features' does not match backbone 'resnet50'"),
    ):
        broken = {**manifest, key: value}
        (tmp_path / "model.json").write_text(json.dumps(broken))
        with pytest.raises(DataError) as info:
            model_dir.load(tmp_path)
        line = str(info.value)
        assert len(line.splitlines()) == 1 and line.startswith(f"{tmp_path / 'model.json'}: ")
        assert problem in line and "re-run `mbr-search evaluate`" in line
    manifest["members"][0]["params"]["seq_len"] = 1
    (tmp_path / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"key 'members\[0\]\.params'.*seq_len: value 1"):
        model_dir.load(tmp_path)


@pytest.mark.slow
def test_the_evaluated_model_directory_round_trips(evaluated: Evaluated) -> None:
    from mbr_search.inference import model_dir

    for folder in ("model", "model_ensemble"):
        loaded = model_dir.load(evaluated.out / folder)
        manifest = json.loads((evaluated.out / folder / "model.json").read_text())
        assert loaded.to_json() == manifest
        again = model_dir.ModelDir.from_json(
            manifest, path=loaded.path, standardiser=loaded.standardiser
        )
        assert again == loaded
        assert loaded.pose_features.keypoints == ("top", "body", "tail", "tail-m", "tail-e")
        assert all(m.family == "lstm" and m.params.seq_len == 150 for m in loaded.members)
    assert len(model_dir.load(evaluated.out / "model_ensemble").members) == 2


@pytest.mark.slow
def test_cnn_model_predicts_a_video_with_its_pose_and_refuses_a_pose_file(tmp_path: Path) -> None:
    """Synthetic videos, a small backbone with random weights: the whole video path.

    The data is made and embedded by the CLI's own ``main`` in this process (the setup; the
    embed command itself is tested in test_embed_*); run, evaluate and predict run as a
    user runs them, in their own processes."""
    from mbr_search.cli.main import main

    demo = tmp_path / "demo"
    assert main(["demo-data", str(demo), "--videos", "3", "--frames", "100", "--size", "64"]) == 0
    embed = [
        "embed", str(demo / "dataset.yaml"), "--backbone", "mobilenet_v3_small",
        "--weights", "none", "--crop-size", "32", "--keypoints", "midbody", "--no-progress",
    ]  # fmt: skip
    assert main(embed) == 0
    space = tmp_path / "tiny_space.yaml"
    from conftest import TINY_SPACE

    space.write_text(TINY_SPACE)
    study = tmp_path / "cnn.yaml"
    study.write_text(
        f"name: cnn\ndataset: {demo / 'dataset.yaml'}\n"
        "behaviours: [grooming, mid_rearing, wall_rearing]\nfps: 10\n"
        "features: {backbone: mobilenet_v3_small, weights: none, "
        "crop: {size: 32, keypoints: [midbody]}}\n"
        f"space: {space}\ncv: {{scheme: leave_one_video_out, max_folds: 1}}\n"
        "sampler: {name: random}\npruner: {name: none}\n"
        "training: {max_epochs: 1, patience: 1}\nseed: 0\n"
    )
    out = tmp_path / "out"
    run_then_evaluate(study, f"sqlite:///{tmp_path / 's.db'}", out, trials=1)
    results = json.loads((out / "results.json").read_text())
    test_video = results["dataset"]["test_videos"][0]
    entry = next(v for v in _manifest_videos(demo) if v["id"] == test_video)
    model = str(out / "model")
    pose_file = str(demo / entry["pose"])
    refused = run_cli("predict", model, pose_file, "--out", str(tmp_path / "p"))
    assert refused.returncode == 2
    assert "uses mobilenet_v3_small embeddings of the video but this input is a pose file" in (
        refused.stderr
    )
    no_pose = run_cli("predict", model, str(demo / entry["video"]), "--out", str(tmp_path / "p"))
    assert no_pose.returncode == 2 and "--pose" in no_pose.stderr
    pred = run_cli(
        "predict", model, str(demo / entry["video"]), "--pose", pose_file,
        "--out", str(tmp_path / "p"),
    )  # fmt: skip
    assert pred.returncode == 0, pred.stderr
    name = Path(entry["video"]).stem
    frames = pd.read_csv(tmp_path / "p" / f"{name}_frames.csv")
    tested = pd.read_csv(out / results["trials"][0]["test"]["files"][test_video])
    assert len(frames) == len(tested) == 100
    assert np.allclose(frames["grooming_prob"], tested["grooming_prob"], atol=1e-4)


def _manifest_videos(demo: Path) -> list[dict[str, str]]:
    import yaml

    return list(yaml.safe_load((demo / "dataset.yaml").read_text())["videos"])
