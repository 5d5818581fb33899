"""Pose from any common tool: the format registry, ``auto``, and which reader reads what.

Every fixture file is written by its tool's own library from the real rat pose (see
``tests/_pose_copies.py``); the DeepLabCut cases use the bundled real files themselves.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pytest
from _pose_copies import rat_file, rat_window, write_slp, write_with_movement
from _shared import loaded_by_help
from conftest import BUNDLED, RAT_MINI, run_cli, write_tiny_study

from mbr_search.config.dataset import load_dataset
from mbr_search.data.pose import POSE_FORMATS, Pose, read_pose
from mbr_search.data.pose_formats._movement import load_poses
from mbr_search.errors import ConfigError, DataError

FRAMES = 300
STURMAN = next((BUNDLED / "sturman_oft_excerpts" / "dlc").glob("8_01_A*.csv.gz"))
OWN = "mbr-search DeepLabCut CSV reader"


@pytest.fixture(scope="session")
def original() -> Pose:
    return rat_window(1, FRAMES)


@pytest.fixture(scope="session")
def copies(tmp_path_factory: pytest.TempPathFactory, original: Pose) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pose_copies")
    files = write_with_movement(original, folder)
    files["slp"] = write_slp(original, folder / "rat.slp")
    return files


#: copy -> (pose_format it is, what auto must report, animals in it)
EXPECTED = {
    "slp": ("sleap", "a SLEAP labels file (.slp)", 2),
    "sleap_analysis": ("sleap", "a SLEAP analysis file", 2),
    "dlc_h5": ("dlc", "a DeepLabCut H5 table", 2),
    "dlc_csv": ("dlc", "a DeepLabCut-style CSV", 2),
    "lightning_pose": ("lightning_pose", "a DeepLabCut-style CSV", 1),
    "lightning_pose_named": ("lightning_pose", "a LightningPose CSV (scorer 'heatmap_tracker')", 1),
    "nwb": ("nwb", "an NWB file", 1),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_format_gives_the_deeplabcut_pose_back(
    name: str, copies: dict[str, Path], original: Pose, caplog: pytest.LogCaptureFixture
) -> None:
    fmt, found, animals = EXPECTED[name]
    with caplog.at_level(logging.INFO, logger="mbr_search.data.pose"):
        auto = read_pose(copies[name])
    assert found in caplog.text and "pose_format auto found" in caplog.text
    explicit = read_pose(copies[name], fmt)
    for pose in (auto, explicit):
        assert pose.n_frames == FRAMES and pose.keypoints == original.keypoints
        # what reads as DeepLabCut CSV goes to the project's reader (data/pose_formats/dlc.py)
        via = OWN if pose.reader.startswith("dlc") and name != "dlc_h5" else "via movement"
        assert len(pose.individuals) == animals and via in pose.reader
        np.testing.assert_allclose(pose.xy, original.xy[:, :animals], rtol=1e-6)
        # a likelihood only means something where the point is there (x, y not NaN)
        seen = ~np.isnan(original.xy[:, :animals, :, 0])
        np.testing.assert_allclose(
            pose.likelihood[seen], original.likelihood[:, :animals][seen], rtol=1e-6
        )
    assert explicit.reader.startswith(fmt)


def test_which_reader_reads_which_real_deeplabcut_file(tmp_path: Path) -> None:
    # The rat files start with all-empty rows ("0,,,,..."): no row may be dropped.
    rat = read_pose(rat_file(1))
    assert OWN in rat.reader and rat.n_frames == 4500
    assert np.isnan(rat.xy[0]).all()  # the empty first row is frame 0, not lost
    # movement, the maintained reader, parses the same real file to the same numbers.
    plain_rat = tmp_path / "rat.csv"
    plain_rat.write_bytes(gzip.decompress(rat_file(1).read_bytes()))
    ds = load_poses().from_file(plain_rat, source_software="DeepLabCut")
    theirs = ds.position.values.transpose(0, 3, 2, 1)  # (time, individuals, keypoints, xy)
    assert theirs.shape == rat.xy.shape
    np.testing.assert_allclose(theirs, rat.xy, rtol=1e-6, equal_nan=True)  # ours: float32
    # The pandas re-saved Sturman copies: movement refuses them, the own reader reads them.
    plain = tmp_path / "sturman.csv"
    plain.write_bytes(gzip.decompress(STURMAN.read_bytes()))
    with pytest.raises(ValueError, match="header rows do not match"):
        load_poses().from_file(plain, source_software="DeepLabCut")
    sturman = read_pose(STURMAN)
    assert OWN in sturman.reader and sturman.n_frames == 1998


def test_empty_first_rows_keep_the_files_frame_count(tmp_path: Path) -> None:
    header = (
        "scorer,s,s,s,s,s,s\nbodyparts,nose,nose,nose,tail,tail,tail\n"
        "coords,x,y,likelihood,x,y,likelihood\n"
    )
    numbered = tmp_path / "numbered.csv"
    numbered.write_text(header + "0,,,,,,\n1,1.0,2.0,0.9,3.0,4.0,0.8\n2,1.5,2.5,0.9,3.5,4.5,0.8\n")
    pose = read_pose(numbered)
    assert pose.n_frames == 3 and np.isnan(pose.xy[0]).all()
    assert load_poses().from_file(numbered, source_software="DeepLabCut").position.shape[0] == 3
    assert pose.xy[1, 0, 0].tolist() == [1.0, 2.0]
    # Without frame numbers movement refuses the file; the own reader keeps both rows.
    unnumbered = tmp_path / "unnumbered.csv"
    unnumbered.write_text(header + ",,,,,,\n,1.0,2.0,0.9,3.0,4.0,0.8\n")
    with pytest.raises(ValueError, match="header rows do not match"):
        load_poses().from_file(unnumbered, source_software="DeepLabCut")
    pose = read_pose(unnumbered)
    assert OWN in pose.reader and pose.n_frames == 2 and np.isnan(pose.xy[0]).all()


def test_a_copy_cut_short_is_refused_although_movement_would_read_it(tmp_path: Path) -> None:
    lines = gzip.decompress(rat_file(1).read_bytes()).decode().splitlines(keepends=True)
    cut = tmp_path / "cut.csv"
    cut.write_text("".join([*lines[:2000], lines[2000].rsplit(",", 5)[0] + "\n", *lines[2001:]]))
    ds = load_poses().from_file(cut, source_software="DeepLabCut")
    assert ds.position.shape[0] == 4500  # the short row became NaN without a word
    with pytest.raises(DataError, match="line 2001 has 26 fields, the header has 31"):
        read_pose(cut)


def test_slp_frames_after_the_last_instance_are_kept(tmp_path: Path, original: Pose) -> None:
    xy = original.xy.copy()
    xy[-40:] = np.nan  # the last 40 frames: no animal found
    lik = np.where(np.isnan(xy[..., 0]), 0.0, original.likelihood).astype(np.float32)
    path = write_slp(Pose(xy, lik, original.individuals, original.keypoints, original.source),
                     tmp_path / "tail.slp")  # fmt: skip
    pose = read_pose(path, "sleap")
    assert pose.n_frames == FRAMES and np.isnan(pose.xy[-40:]).all()


def test_a_sleap_file_without_tracks_is_refused(tmp_path: Path, original: Pose) -> None:
    path = write_slp(original, tmp_path / "untracked.slp", tracked=False)
    with pytest.raises(DataError) as err:
        read_pose(path)
    message = str(err.value)
    assert message.startswith(f"{path}: the SLEAP file has no tracks, and frame 0 holds 2 ")
    assert "Fix: track the predictions in SLEAP" in message and "\n" not in message


def test_auto_refuses_a_file_it_cannot_tell_and_lists_the_formats(tmp_path: Path) -> None:
    import h5py

    text = tmp_path / "labels.csv"
    text.write_text("a,b\n1,2\n")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle["data"] = np.zeros(3)
    for path, what in ((text, "not a DeepLabCut pose CSV"), (other, "an HDF5 file with keys")):
        with pytest.raises(DataError) as err:
            read_pose(path)
        message = str(err.value)
        assert message.startswith(f"{path}: pose_format auto cannot tell the format: {what}")
        assert "['dlc', 'lightning_pose', 'nwb', 'sleap']" in message and "\n" not in message
    with pytest.raises(DataError, match=r"pose_format 'openpose' is unknown"):
        read_pose(text, "openpose")


def _manifest(tmp_path: Path, top: str, video: str) -> Path:
    pose = rat_file(1)
    path = tmp_path / "ds.yaml"
    path.write_text(
        f"fps: 30\n{top}videos:\n  - {{id: a, pose: {pose}{video}}}\n"
        f"  - {{id: b, pose: {rat_file(2)}}}\n"
    )
    return path


def test_the_manifest_sets_pose_format_per_dataset_and_per_video(tmp_path: Path) -> None:
    assert [v.pose_format for v in load_dataset(RAT_MINI).videos] == ["auto"] * 8
    ds = load_dataset(_manifest(tmp_path, "pose_format: dlc\n", ", pose_format: auto"))
    assert [v.pose_format for v in ds.videos] == ["auto", "dlc"]
    with pytest.raises(ConfigError) as err:
        load_dataset(_manifest(tmp_path, "pose_format: slep\n", ""))
    assert "pose_format: 'slep' is not one of" in str(err.value) and "'sleap'" in str(err.value)
    assert set(POSE_FORMATS) == {"auto", "dlc", "lightning_pose", "nwb", "sleap"}


def test_bad_pose_files_exit_2_with_one_line(tmp_path: Path, original: Pose) -> None:
    untracked = write_slp(original, tmp_path / "untracked.slp", tracked=False)
    unknown = tmp_path / "pose.txt"
    unknown.write_text("frame x y\n0 1 2\n")
    for pose, expected in (
        (untracked, "the SLEAP file has no tracks"),
        (unknown, "pose_format auto cannot tell the format: a file ending '.txt', not HDF5"),
    ):
        annot = RAT_MINI.parent / "annotations"
        manifest = tmp_path / f"{pose.stem}.yaml"
        manifest.write_text(
            "fps: 30\nlabels: {format: caltech}\nvideos:\n"
            f"  - {{id: a, pose: {pose}, labels: {annot / '1_annot.txt'}}}\n"
            f"  - {{id: b, pose: {rat_file(2)}, labels: {annot / '2_annot.txt'}}}\n"
            f"  - {{id: c, pose: {rat_file(5)}, labels: {annot / '5_annot.txt'}}}\n"
        )
        study = write_tiny_study(tmp_path / pose.stem, dataset=manifest)
        res = run_cli("run", str(study), "--trials", "1", "--no-progress")
        lines = res.stderr.strip().splitlines()
        assert res.returncode == 2, res.stderr
        assert len(lines) == 1 and expected in lines[0] and str(pose) in lines[0], res.stderr


def test_help_does_not_import_the_pose_library() -> None:
    assert loaded_by_help(["movement", "sleap_io", "xarray"]) == []
