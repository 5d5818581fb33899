"""``mbr-search demo-data``: the synthetic open field behaves like the thesis data says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mbr_search.cli.main import main
from mbr_search.config.dataset import load_dataset
from mbr_search.data.labels import read_labels
from mbr_search.data.pose import read_pose
from mbr_search.demo.dataset import make_demo_dataset
from mbr_search.demo.script import BEHAVIOURS, Geometry, make_script
from mbr_search.features.embed.video import probe_video


def _bouts(column: np.ndarray) -> np.ndarray:
    edges = np.diff(np.r_[0, column.astype(np.int64), 0])
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def test_thesis_scale_script_matches_the_thesis_statistics() -> None:
    """17 videos x 6,600 frames at 10 fps: ~10 % positives, mean bouts ~107 / 24 / 21."""
    lengths: dict[str, list[int]] = {b: [] for b in BEHAVIOURS}
    fractions: dict[str, list[float]] = {b: [] for b in BEHAVIOURS}
    for i in range(17):
        labels = make_script(6600, 10.0, Geometry(160), np.random.default_rng([0, i])).labels()
        for b, name in enumerate(BEHAVIOURS):
            lengths[name] += _bouts(labels[:, b]).tolist()
            fractions[name].append(float(labels[:, b].mean()))
        assert (labels.sum(axis=1) <= 1).all()  # one behaviour at a time
    for name, mean in (("grooming", 107), ("mid_rearing", 24), ("wall_rearing", 21)):
        assert np.mean(lengths[name]) == pytest.approx(mean, rel=0.1), name
        assert np.mean(fractions[name]) == pytest.approx(0.10, abs=0.01), name


def test_demo_data_writes_a_loadable_synthetic_dataset(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code = main(["demo-data", str(out), "--videos", "6", "--frames", "600", "--seed", "3"])
    assert code == 0
    dataset = load_dataset(out / "dataset.yaml")
    assert dataset.behaviours == BEHAVIOURS
    assert {v.fps for v in dataset.videos} == {10.0}
    assert "SYNTHETIC" in (out / "dataset.yaml").read_text()
    assert [v.split for v in dataset.videos].count("test") == 2  # 5/17 of 6, rounded
    for path in out.iterdir():
        assert "synthetic" in path.name.lower() or path.name == "dataset.yaml"
    video = dataset.videos[0]
    assert video.video is not None and video.pose is not None and video.labels is not None
    info = probe_video(video.video)
    assert (info.n_frames, info.width, info.height, info.fps) == (600, 256, 256, 10.0)
    pose = read_pose(video.pose)
    assert pose.n_frames == 600
    assert {"nose", "midbody", "tailbase"} <= set(pose.keypoints)
    labels = read_labels(video.labels, BEHAVIOURS, n_frames=600, fps=10.0)
    assert labels.values.shape == (600, 3) and labels.values.sum() > 0


def test_the_drawn_behaviours_look_like_their_names(tmp_path: Path) -> None:
    """Rearing shortens the body, wall rearing faces a wall, grooming stays in place."""
    manifest = make_demo_dataset(tmp_path / "d", videos=1, frames=2000, seed=1, size=160)
    video = load_dataset(manifest).videos[0]
    assert video.pose is not None and video.labels is not None
    pose = read_pose(video.pose)
    xy = pose.xy[:, 0].astype(np.float64)
    k = {name: pose.keypoints.index(name) for name in ("nose", "midbody", "tailbase")}
    labels = pd.read_csv(video.labels.path)
    length = np.linalg.norm(xy[:, k["nose"]] - xy[:, k["tailbase"]], axis=1)
    walking = labels[list(BEHAVIOURS)].sum(axis=1).to_numpy() == 0
    rear = labels["mid_rearing"].to_numpy() == 1
    wall = labels["wall_rearing"].to_numpy() == 1
    groom = labels["grooming"].to_numpy() == 1
    assert np.median(length[rear]) < 0.75 * np.median(length[walking])
    assert np.median(length[wall]) < 0.75 * np.median(length[walking])
    geometry = Geometry(160)
    lo, hi = geometry.inner(0.0)

    def wall_distance(points: np.ndarray) -> np.ndarray:
        return np.minimum(points - lo, hi - points).min(axis=1)

    nose, mid = xy[:, k["nose"]], xy[:, k["midbody"]]
    assert np.median(wall_distance(nose[wall])) < 0.1 * geometry.body
    assert np.median(wall_distance(mid[rear])) > 1.0 * geometry.body
    # nose closer to the wall than the midbody: facing it
    assert np.mean(wall_distance(nose[wall]) < wall_distance(mid[wall])) > 0.9
    # grooming: the body stays put while the head jitters fast
    starts = np.flatnonzero(np.diff(np.r_[0, groom.astype(int)]) == 1)
    stops = np.flatnonzero(np.diff(np.r_[groom.astype(int), 0]) == -1) + 1
    assert len(starts) >= 1
    for a, b in zip(starts, stops, strict=True):
        spread = np.linalg.norm(mid[a:b] - np.median(mid[a:b], axis=0), axis=1)
        assert np.percentile(spread, 90) < 0.15 * geometry.body
    inside = groom[1:] & groom[:-1]
    nose_step = np.linalg.norm(np.diff(nose, axis=0), axis=1)[inside]
    mid_step = np.linalg.norm(np.diff(mid, axis=0), axis=1)[inside]
    assert np.median(nose_step) > 2 * np.median(mid_step)


def test_demo_data_is_reproducible_and_split_like_the_thesis(tmp_path: Path) -> None:
    a = make_demo_dataset(tmp_path / "a", videos=17, frames=20, seed=5)
    b = make_demo_dataset(tmp_path / "b", videos=17, frames=20, seed=5)
    splits = [v.split for v in load_dataset(a).videos]
    assert (splits.count("train"), splits.count("test")) == (12, 5)
    assert splits == [v.split for v in load_dataset(b).videos]
    for name in ("synthetic_03DLC_synthetic.csv", "synthetic_03_labels_synthetic.csv"):
        assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes()


def test_demo_data_refuses_to_overwrite_and_bad_sizes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo-data", str(out), "--videos", "1", "--frames", "20"]) == 0
    capsys.readouterr()
    assert main(["demo-data", str(out), "--videos", "1", "--frames", "20"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0] and "--overwrite" in err[0]
    assert main(["demo-data", str(out), "--videos", "1", "--frames", "20", "--overwrite"]) == 0
    assert main(["demo-data", str(tmp_path / "x"), "--size", "16"]) == 2
