"""``mbr-search embed`` on bad input: exit code 2 and one line naming the problem and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from mbr_search.cli.main import main
from mbr_search.demo.dataset import make_demo_dataset

FAST = ["--backbone", "resnet50v2", "--weights", "none", "--no-progress"]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """Two synthetic 96 px videos of 40 frames at 10 fps; returns the manifest."""
    return make_demo_dataset(tmp_path / "demo", videos=2, frames=40, fps=10, size=96)


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, check exit code 2 and a single clean error line; return that line."""
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    assert err[0].startswith("mbr-search: error: ")
    return err[0]


def test_corrupt_video(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = demo.parent / "synthetic_01.mp4"
    video.write_bytes(video.read_bytes()[:300])  # cut mid-header: no moov atom
    line = _fails(["embed", str(demo), *FAST], capsys)
    assert str(video) in line and "cannot open the video" in line and "Fix:" in line


def test_zero_frame_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.avi"
    cv2.VideoWriter(str(empty), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48), True).release()
    line = _fails(["embed", "--video", str(empty), "--out", str(tmp_path / "c"), *FAST], capsys)
    assert "zero decodable frames" in line and str(empty) in line


def test_pose_rows_differ_from_video_frames(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pose = demo.parent / "synthetic_01DLC_synthetic.csv"
    lines = pose.read_text().splitlines(keepends=True)
    pose.write_text("".join(lines[:-5]))  # 35 of 40 rows; the demo's tolerance is 0
    line = _fails(["embed", str(demo), *FAST], capsys)
    assert "35 pose rows" in line and "40 frames" in line
    assert f"length_tolerance in {demo} = 0" in line


def test_pose_length_tolerance_of_single_videos_is_a_flag(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pose = demo.parent / "synthetic_01DLC_synthetic.csv"
    lines = pose.read_text().splitlines(keepends=True)
    pose.write_text("".join(lines[:-3]))
    argv = ["embed", "--video", str(demo.parent / "synthetic_01.mp4"), "--pose", str(pose)]
    line = _fails([*argv, "--length-tolerance", "2", "--out", str(demo.parent / "c"), *FAST],
                  capsys)  # fmt: skip
    assert "37 pose rows" in line and "--length-tolerance = 2" in line


def test_keypoint_not_in_pose(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["embed", str(demo), *FAST, "--keypoints", "midbody,spine"], capsys)
    assert "['spine'] not in the pose file" in line
    assert "available: ['nose', 'left_ear', 'right_ear', 'neck', 'midbody'" in line


def test_crop_larger_than_frame(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["embed", str(demo), *FAST, "--crop-size", "200"], capsys)
    assert "crop size 200 px is larger than the 96x96 frame" in line and "<= 96" in line


def test_unknown_backbone_lists_the_registry(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _fails(["embed", str(demo), "--backbone", "resnet51", "--no-progress"], capsys)
    assert "unknown backbone 'resnet51'" in line
    assert "'inception_resnet_v2'" in line and "'resnet50v2'" in line


def test_unwritable_cache_folder(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = demo.parent / "a_file"
    blocker.write_text("")  # tests run as root here, so use a path under a file, not chmod
    cache = blocker / "cache"
    line = _fails(["embed", str(demo), *FAST, "--cache-dir", str(cache)], capsys)
    assert "cannot write the feature cache" in line and "--cache-dir" in line


def test_missing_weights_file_and_bad_flags(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _fails(["embed", str(demo), "--backbone", "resnet50v2", "--weights", "no.h5"], capsys)
    assert "--weights no.h5: no such file" in line
    line = _fails(["embed", str(demo), *FAST, "--fps", "fast"], capsys)
    assert "--fps 'fast' is not a number" in line
    line = _fails(["embed", str(demo), *FAST, "--missing", "skip"], capsys)
    assert "unknown crop.missing 'skip'" in line
    line = _fails(["embed", *FAST], capsys)
    assert "nothing to embed" in line
    line = _fails(["embed", str(demo), "--video", str(demo), *FAST], capsys)
    assert "not both" in line


def _other_weights(tmp_path: Path) -> list[Path]:
    """Real weights of another architecture (MobileNetV3Small, 4 MB), in both Keras formats."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.MobileNetV3Small(
        include_top=False, weights=None, pooling="avg", input_shape=(224, 224, 3)
    )
    native = tmp_path / "mobilenet.weights.h5"
    model.save_weights(native)
    legacy = tmp_path / "mobilenet_notop.h5"  # the layout of Keras' downloadable ImageNet files
    with h5py.File(legacy, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    return [native, legacy]


@pytest.mark.slow
def test_weights_of_another_architecture_are_refused(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for weights in _other_weights(tmp_path):
        argv = ["embed", str(demo), "--backbone", "resnet50v2", "--weights", str(weights)]
        line = _fails([*argv, "--no-progress", "--fps", "1", "--crop-size", "64"], capsys)
        assert f"{weights}: not resnet50v2 weights" in line
        assert "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5" in line
    assert not list((demo.parent.parent / "mbr_home").rglob("*.npy"))


@pytest.mark.slow
def test_imagenet_unreachable_says_how_to_pass_a_local_file(demo: Path, tmp_path: Path) -> None:
    """The real download path, made to fail fast: no cached weights and a dead proxy."""
    env = dict(os.environ)
    env.update(
        KERAS_HOME=str(tmp_path / "keras_home"),
        https_proxy="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        no_proxy="",
        NO_PROXY="",
    )
    argv = [sys.executable, "-m", "mbr_search", "embed", str(demo), "--backbone", "resnet50v2"]
    done = subprocess.run(
        [*argv, "--no-progress", "--crop-size", "64"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("mbr-search: error:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert "cannot download the ImageNet weights for resnet50v2" in errors[0]
    assert "--weights /path/to/resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5" in errors[0]
