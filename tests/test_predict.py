"""`mbr-search predict` on bundled pose files with a model directory written by evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _evaluated import Evaluated, evaluated_study
from conftest import RAT_MINI, STURMAN_MINI, run_cli

RAT08 = RAT_MINI.parent / "dlc" / "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
BEHAVIOURS = ["social", "nonsocial", "aggression"]


@pytest.fixture
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Evaluated:
    return evaluated_study(tmp_path_factory.getbasetemp() / "evaluated")


@pytest.mark.slow
def test_predict_reproduces_the_evaluated_test_predictions(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    out = tmp_path / "pred"
    res = run_cli("predict", str(evaluated.out / "model"), str(RAT08), "--out", str(out))
    assert res.returncode == 0, res.stderr
    stem = "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered"
    frames = pd.read_csv(out / f"{stem}_frames.csv")
    assert len(frames) == 1500
    assert frames["source_frame"].iloc[:3].tolist() == [0, 3, 6]  # 30 fps -> 10 fps
    best = evaluated.results["trials"][0]
    tested = pd.read_csv(evaluated.out / best["test"]["files"]["rat08"])
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
    not_model = run_cli("predict", str(evaluated.out), str(RAT08), "--out", str(tmp_path / "p"))
    assert not_model.returncode == 2 and "give its model/ folder" in not_model.stderr
    assert not (tmp_path / "p").exists()


def test_a_model_directory_round_trips_without_pickle(tmp_path: Path) -> None:
    from mbr_search.evaluate import model_dir
    from mbr_search.evaluate.postprocess import PostProcess
    from mbr_search.training.sequences import Standardiser

    (tmp_path / "m0_all.keras").write_bytes(b"placeholder: only the manifest is read here")
    saved = model_dir.ModelDir(
        path=tmp_path, behaviours=("a", "b"), fps=10.0, backbone="pose",
        features={"kind": "pose", "keypoints": ["n", "t"], "axis": None,
                  "likelihood_threshold": 0.5, "individuals": ["single"], "feature_version": 1},
        feature_dim=4, source_fps=30.0,
        members=(
            model_dir.Member(3, {"seq_len": 150}, (model_dir.Group("m0_all.keras", (0, 1)),)),
        ),
        thresholds={"a": 0.25, "b": 0.5},
        postprocess={"a": PostProcess(3, 0, 5), "b": PostProcess()},
        standardiser=Standardiser(np.arange(4, dtype=np.float32), np.ones(4, np.float32)),
    )  # fmt: skip
    model_dir.save(saved)
    loaded = model_dir.load(tmp_path)
    assert loaded.thresholds == saved.thresholds and loaded.postprocess == saved.postprocess
    assert loaded.members == saved.members and loaded.features == saved.features
    assert np.array_equal(loaded.standardiser.mean, saved.standardiser.mean)
    with np.load(tmp_path / "standardiser.npz", allow_pickle=False) as npz:
        assert set(npz.files) == {"mean", "std"}
    manifest = json.loads((tmp_path / "model.json").read_text())
    assert manifest["format"] == "mbr-search-model" and manifest["source_fps"] == 30.0


@pytest.mark.slow
def test_cnn_model_predicts_a_video_with_its_pose_and_refuses_a_pose_file(tmp_path: Path) -> None:
    """Synthetic videos, a small backbone with random weights: the whole video path."""
    demo = tmp_path / "demo"
    made = run_cli("demo-data", str(demo), "--videos", "3", "--frames", "100", "--size", "64")
    assert made.returncode == 0, made.stderr
    embed = [
        "embed", str(demo / "dataset.yaml"), "--backbone", "mobilenet_v3_small",
        "--weights", "none", "--crop-size", "32", "--keypoints", "midbody",
    ]  # fmt: skip
    assert run_cli(*embed).returncode == 0
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
    storage = f"sqlite:///{tmp_path / 's.db'}"
    assert run_cli("run", str(study), "--trials", "1", "--storage", storage).returncode == 0
    out = tmp_path / "out"
    ev = run_cli("evaluate", str(study), "--top", "1", "--storage", storage, "--out", str(out))
    assert ev.returncode == 0, ev.stderr
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
