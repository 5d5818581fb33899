"""Embedding building blocks without a CNN: crops, centres, decoding, settings, registry."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from mbr_search.config._schema import Section
from mbr_search.config.embed import CropSettings, EmbedSettings, embed_command, parse_embed_settings
from mbr_search.data.pose import Pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import ConfigError, DataError, UsageError
from mbr_search.features.embed.backbones import BACKBONES, get_backbone
from mbr_search.features.embed.crop import crop_centres, crop_square, full_square, resize_to
from mbr_search.features.embed.video import count_frames, probe_video, read_frames
from mbr_search.features.embeddings import cache_settings


def _pose(xy: np.ndarray, likelihood: np.ndarray, names: tuple[str, ...]) -> Pose:
    """Pose of one animal from (T, K, 2) positions and (T, K) likelihoods."""
    return Pose(
        xy[:, None].astype(np.float32),
        likelihood[:, None].astype(np.float32),
        ("single",),
        names,
        Path("test_DLC.csv"),
    )


def _write_index_video(path: Path, n: int, fps: float, fourcc: str = "MJPG") -> None:
    """Frames whose grey level encodes their index (4 levels apart), so decoding is checkable."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (64, 48), True)
    assert writer.isOpened()
    for i in range(n):
        writer.write(np.full((48, 64, 3), 4 * i, dtype=np.uint8))
    writer.release()


# --- crops -----------------------------------------------------------------------------------


def test_crop_puts_the_centre_pixel_in_the_middle() -> None:
    frame = np.zeros((100, 120, 3), dtype=np.uint8)
    frame[40, 70] = (255, 0, 0)
    crop = crop_square(frame, 70.0, 40.0, 21)
    assert crop.shape == (21, 21, 3)
    assert tuple(crop[10, 10]) == (255, 0, 0)
    assert crop.sum() == 255
    # sub-pixel centres round to the nearest pixel
    assert tuple(crop_square(frame, 70.4, 39.6, 21)[10, 10]) == (255, 0, 0)
    even = crop_square(frame, 70.0, 40.0, 20)
    assert tuple(even[10, 10]) == (255, 0, 0)


def test_crop_at_the_border_is_padded_black_and_keeps_content_aligned() -> None:
    frame = np.arange(50 * 60 * 3, dtype=np.int64).reshape(50, 60, 3) % 251 + 1
    frame = frame.astype(np.uint8)  # no zero pixels inside the frame
    crop = crop_square(frame, 2.0, 47.0, 11)  # near the bottom-left corner
    assert crop.shape == (11, 11, 3)
    # x0 = 2 - 5 = -3, y0 = 47 - 5 = 42: three padded columns left, three rows below
    assert (crop[:, :3] == 0).all()
    assert (crop[8:, :] == 0).all()
    np.testing.assert_array_equal(crop[:8, 3:], frame[42:50, 0:8])
    # a centre entirely outside the frame gives a black crop, not an error
    assert (crop_square(frame, -100.0, -100.0, 11) == 0).all()


def test_full_square_pads_the_short_side_and_resize_gives_the_input_side() -> None:
    frame = np.full((48, 64, 3), 200, dtype=np.uint8)
    square = full_square(frame)
    assert square.shape == (64, 64, 3)
    assert (square[:8] == 0).all() and (square[-8:] == 0).all()
    assert (square[8:56] == 200).all()
    assert resize_to(square, 224).shape == (224, 224, 3)
    assert resize_to(square, 32).shape == (32, 32, 3)


def test_centres_average_trusted_keypoints_and_interpolate_gaps() -> None:
    t = np.arange(10, dtype=np.float64)
    xy = np.zeros((10, 2, 2))
    xy[:, 0] = np.c_[10 + t, 20 + 2 * t]  # nose
    xy[:, 1] = np.c_[30 + t, 40 + 2 * t]  # tailbase
    lik = np.ones((10, 2))
    xy[3:6, :, :] = np.nan  # a gap of three frames: both points missing
    lik[7, 1] = 0.1  # one untrusted point: centre from the nose alone
    track = crop_centres(_pose(xy, lik, ("nose", "tailbase")), CropSettings(), 10)
    assert track.xy is not None
    expected = np.c_[20 + t, 30 + 2 * t]
    np.testing.assert_allclose(track.xy[[0, 1, 2, 6, 8, 9]], expected[[0, 1, 2, 6, 8, 9]])
    np.testing.assert_allclose(track.xy[3:6], expected[3:6])  # linear between 2 and 6
    np.testing.assert_allclose(track.xy[7], [10 + 7, 20 + 14])
    assert track.n_filled == 3


def test_centres_hold_the_ends_and_fit_the_video_length() -> None:
    xy = np.c_[np.arange(6.0), np.arange(6.0)][:, None, :]
    lik = np.ones((6, 1))
    lik[:2] = 0.0  # not trusted at the start
    pose = _pose(xy, lik, ("midbody",))
    longer = crop_centres(pose, CropSettings(keypoints=("midbody",)), 8)  # pose 2 rows short
    assert longer.xy is not None
    np.testing.assert_allclose(longer.xy[:, 0], [2, 2, 2, 3, 4, 5, 5, 5])
    shorter = crop_centres(pose, CropSettings(keypoints=("midbody",)), 4)
    assert shorter.xy is not None and len(shorter.xy) == 4


def test_centres_without_any_trusted_point_and_unknown_keypoints() -> None:
    xy = np.ones((5, 1, 2))
    pose = _pose(xy, np.zeros((5, 1)), ("midbody",))
    assert crop_centres(pose, CropSettings(), 5).xy is None
    with pytest.raises(
        DataError, match=r"\['spine'\] not in the pose file; available: \['midbody'\]"
    ):
        crop_centres(pose, CropSettings(keypoints=("spine",)), 5)


# --- decoding --------------------------------------------------------------------------------


def test_read_frames_resamples_30_to_10_fps_by_index(tmp_path: Path) -> None:
    video = tmp_path / "index.avi"
    _write_index_video(video, 60, 30.0)
    info = probe_video(video)
    assert (info.n_frames, info.width, info.height) == (60, 64, 48)
    assert info.fps == pytest.approx(30.0)
    idx = frame_indices(info.n_frames, 30.0, 10.0)
    assert len(idx) == 20
    levels = [int(f[..., 0].mean().round()) for f in read_frames(video, idx)]
    np.testing.assert_allclose(levels, 4 * idx, atol=2)
    up = frame_indices(4, 30.0, 60.0)  # upsampling repeats frames
    assert len(list(read_frames(video, up))) == len(up)


def test_probe_counts_frames_when_the_container_lies(tmp_path: Path) -> None:
    full = tmp_path / "full.avi"
    _write_index_video(full, 30, 10.0)
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])  # header still says 30 frames
    capture = cv2.VideoCapture(str(cut))
    claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    info = probe_video(cut)
    assert info.n_frames == count_frames(cut)
    assert 0 < info.n_frames < 30 == claimed


def test_bad_videos_are_data_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video" * 100)
    with pytest.raises(DataError, match="cannot open the video"):
        probe_video(garbage)
    empty = tmp_path / "empty.avi"
    writer = cv2.VideoWriter(str(empty), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48), True)
    writer.release()
    with pytest.raises(DataError, match="zero decodable frames"):
        probe_video(empty)
    with pytest.raises(DataError, match="not found"):
        probe_video(tmp_path / "absent.mp4")


# --- registry and settings -------------------------------------------------------------------


def test_registry_has_the_thesis_backbones() -> None:
    assert (BACKBONES["resnet50v2"].input_size, BACKBONES["resnet50v2"].dim) == (224, 2048)
    spec = BACKBONES["inception_resnet_v2"]
    assert (spec.input_size, spec.dim) == (299, 1536)
    for name, spec in BACKBONES.items():
        assert spec.name == name
        assert spec.imagenet_file.endswith(".h5")
    x = np.full((1, 4, 4, 3), 255.0, dtype=np.float32)
    np.testing.assert_allclose(BACKBONES["resnet50v2"].preprocess()(x.copy()), 1.0)
    with pytest.raises(UsageError, match=r"unknown backbone 'resnet51'.*'resnet50v2'"):
        get_backbone("resnet51")


def test_settings_key_ignores_where_the_weights_file_is(tmp_path: Path) -> None:
    weights = tmp_path / "a" / "w.weights.h5"
    weights.parent.mkdir()
    weights.write_bytes(b"0123456789" * 1000)
    moved = tmp_path / "b" / "other_name.weights.h5"
    moved.parent.mkdir()
    shutil.copy(weights, moved)
    a = cache_settings(EmbedSettings("resnet50v2", str(weights)))
    b = cache_settings(EmbedSettings("resnet50v2", str(moved)))
    assert a == b and a["weights"].startswith("file:sha256:")
    moved.write_bytes(b"different")
    assert cache_settings(EmbedSettings("resnet50v2", str(moved))) != a
    assert EmbedSettings("resnet50v2", "None").weights == "none"
    base = cache_settings(EmbedSettings("resnet50v2", "none"))
    assert cache_settings(EmbedSettings("resnet50v2", "none", CropSettings(size=150))) != base
    assert cache_settings(EmbedSettings("resnet50v2", "none", fps=5.0)) != base


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(UsageError, match="unknown backbone"):
        EmbedSettings("vgg99")
    with pytest.raises(UsageError, match="missing"):
        CropSettings(missing="skip")
    with pytest.raises(UsageError, match="too small"):
        CropSettings(size=2)
    with pytest.raises(UsageError, match="fps"):
        EmbedSettings("resnet50v2", fps=0.0)


def _section(text: str, tmp_path: Path) -> Section:
    file = tmp_path / "study.yaml"
    file.write_text(text)
    return Section(yaml.safe_load(text)["features"], file, "features")


def test_parse_embed_settings_reads_a_study_features_section(tmp_path: Path) -> None:
    sec = _section(
        "features:\n  backbone: inception_resnet_v2\n  weights: none\n"
        "  crop: {size: 180, keypoints: [midbody], likelihood_threshold: 0.6, missing: centre}\n",
        tmp_path,
    )
    settings = parse_embed_settings(sec, 10.0)
    assert settings == EmbedSettings(
        "inception_resnet_v2", "none", CropSettings(180, ("midbody",), 0.6, "centre"), 10.0
    )
    defaults = parse_embed_settings(_section("features: {backbone: resnet50v2}\n", tmp_path), None)
    assert defaults == EmbedSettings("resnet50v2", "imagenet", CropSettings(), None)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ("{backbone: resnet51}", r"features\.backbone: 'resnet51' is not one of"),
        ("{backbone: resnet50v2, weights: nowhere.h5}", r"features\.weights: weights file not"),
        ("{backbone: resnet50v2, crop: {size: 4}}", r"features\.crop\.size: must be >= 8"),
        ("{backbone: resnet50v2, crop: {missing: skip}}", r"features\.crop\.missing: 'skip'"),
        ("{backbone: resnet50v2, crop: {sise: 100}}", r"features\.crop\.sise: unknown key"),
        ("{backbone: resnet50v2, wieghts: none}", r"features\.wieghts: unknown key"),
    ],
)
def test_parse_embed_settings_names_the_bad_key(
    features: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_embed_settings(_section(f"features: {features}\n", tmp_path), 10.0)


def test_embed_command_rebuilds_the_same_settings(tmp_path: Path) -> None:
    """The command the search core prints must produce exactly the settings it looks up."""
    import argparse
    import shlex

    from mbr_search.cli import _embed

    parser = argparse.ArgumentParser()
    _embed.add_parser(parser.add_subparsers())
    weights = tmp_path / "my weights.h5"
    weights.write_bytes(b"x")
    cases = [
        EmbedSettings("resnet50v2"),
        EmbedSettings(
            "inception_resnet_v2", str(weights), CropSettings(150, ("a", "b"), 0.3, "centre"), None
        ),
        EmbedSettings("resnet50v2", "none", CropSettings(keypoints=("midbody",)), 12.5),
    ]
    for settings in cases:
        argv = shlex.split(embed_command(tmp_path / "d.yaml", settings, tmp_path / "cache"))
        args = parser.parse_args(argv[1:])
        assert args.cache_dir == tmp_path / "cache"
        assert _embed.settings_from_args(args) == settings


def test_the_embedding_plan_reads_pose_in_the_videos_own_format(tmp_path: Path) -> None:
    """A per-video pose_format reaches the embedding plan (it used to sniff every file): the
    real open-field DLC pose read as SLEAP is refused by the SLEAP reader, and as DLC (or
    auto) it plans crops around the mouse."""
    from mbr_search.features.embed.plan import Job, prepare

    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "openfield_video"
    video = tmp_path / "clip.avi"
    _write_index_video(video, 30, 30.0)
    pose_csv = tmp_path / "clip_DLC.csv"
    if not (shared / "m3v1mp4_DLC_resnet50_openfieldOct30shuffle1_6000_from_ethome.csv").is_file():
        pytest.skip("../shared/data/openfield_video is not here")
    lines = (
        (shared / "m3v1mp4_DLC_resnet50_openfieldOct30shuffle1_6000_from_ethome.csv")
        .read_text()
        .splitlines()
    )
    pose_csv.write_text("\n".join(lines[:33]) + "\n")  # 3 header rows + 30 frames
    settings = EmbedSettings(backbone="resnet50v2", fps=10.0, crop=CropSettings(size=32))
    for fmt in ("dlc", "auto"):
        plan = prepare(Job("clip", video, pose_csv, 30.0, 2, "tol", fmt), settings)
        assert plan.centres is not None and plan.n_out == 10
    with pytest.raises(DataError):
        prepare(Job("clip", video, pose_csv, 30.0, 2, "tol", "sleap"), settings)


def test_embed_says_the_work_up_front_and_estimates_from_the_measured_rate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mbr_search.features.embed import progress

    clock = iter([100.0, 101.0, 106.0, 107.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    with progress.Progress(112_200, 17, label="resnet50v2", enabled=False) as bar:
        bar.advance(32)  # 1 s in: too early to trust a rate
        bar.advance(108)  # 6 s in: 140 frames / 6 s
        bar.advance(32)  # said once only
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "embed: 112,200 frames of 17 video(s) to embed"
    assert err[1].startswith("embed: measured 23.3 frames/s here: about 1 h 20 min for the 112,060")
    assert len(err) == 2
    assert "about 10 s for" in progress.estimate_line(600, 300, 10.0)
    assert "about 1 h 40 min for" in progress.estimate_line(6_100, 100, 100.0)  # 6,000 s
