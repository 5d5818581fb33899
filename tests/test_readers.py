"""Pose and label readers on real files: bundled copies always, ../shared when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BUNDLED, STURMAN_MINI

from mbr_search.data.labels import LabelSource, read_labels
from mbr_search.data.pose import read_pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError

RAT_DLC = (
    BUNDLED
    / "rat_social_mini"
    / "dlc"
    / "1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
)
RAT_ANNOT = BUNDLED / "rat_social_mini" / "annotations" / "1_annot.txt"
OFT_DLC = next((BUNDLED / "sturman_oft_excerpts" / "dlc").glob("8_01_A*.csv.gz"))
OFT_LABELS = BUNDLED / "sturman_oft_excerpts" / "AllLabDataOFT_OFT38_OFT44.csv"


def test_multi_animal_dlc_csv_with_gaps() -> None:
    pose = read_pose(RAT_DLC)
    assert pose.xy.shape == (4500, 2, 5, 2)
    assert pose.individuals == ("individual1", "individual2")
    assert pose.keypoints == ("top", "body", "tail", "tail-m", "tail-e")
    missing = np.isnan(pose.xy[..., 0]).mean()
    assert 0.05 < missing < 0.9  # real tracking gaps survive as NaN


def test_pandas_resaved_single_animal_csv() -> None:
    pose = read_pose(OFT_DLC)
    assert pose.xy.shape == (1998, 1, 18, 2)
    assert pose.keypoints[:5] == ("tl", "tr", "bl", "br", "centre")
    # first data row of the upstream file: tl x = 445.63..., likelihood 0.0065...
    assert pose.xy[0, 0, 0, 0] == pytest.approx(445.6327736377716, rel=1e-6)
    assert pose.likelihood[0, 0, 0] == pytest.approx(0.0065651535987854, rel=1e-5)


def test_shared_real_files_read(shared_data: Path) -> None:
    video_pose = next((shared_data / "openfield_video").glob("*.csv"))
    pose = read_pose(video_pose)
    assert pose.xy.shape == (2330, 1, 4, 2) and pose.keypoints == (
        "snout",
        "leftear",
        "rightear",
        "tailbase",
    )
    for f in sorted((shared_data / "rat_social" / "dlc").glob("*.csv"))[:2]:
        assert read_pose(f).xy.shape[1:] == (2, 5, 2)


def test_h5_pose_round_trip(tmp_path: Path) -> None:
    pose = read_pose(OFT_DLC)
    cols = pd.MultiIndex.from_product(
        [["DLC_scorer"], list(pose.keypoints), ["x", "y", "likelihood"]],
        names=["scorer", "bodyparts", "coords"],
    )
    data = np.concatenate([pose.xy[:, 0], pose.likelihood[:, 0, :, None]], axis=2).reshape(
        len(pose.xy), -1
    )
    h5 = tmp_path / "pose.h5"
    pd.DataFrame(data, columns=cols).to_hdf(h5, key="df_with_missing", format="table")
    again = read_pose(h5)
    np.testing.assert_allclose(again.xy, pose.xy, rtol=1e-6)
    assert again.keypoints == pose.keypoints


def test_not_a_pose_file(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not a DeepLabCut pose CSV"):
        read_pose(bad)
    with pytest.raises(DataError, match="pose file not found"):
        read_pose(tmp_path / "nope.csv")


def test_caltech_labels_cover_every_frame() -> None:
    labels = read_labels(
        LabelSource(RAT_ANNOT, "caltech"), ("social", "nonsocial", "aggression"), n_frames=0, fps=30
    )
    assert labels.values.shape == (4500, 3)
    # stream S1 is exclusive: at most one of these per frame
    assert labels.values.sum(axis=1).max() == 1
    assert labels.values[535, 0] == 1 and labels.values[534, 0] == 0  # 1-based interval 536..961


def test_caltech_unknown_behaviour_and_stream() -> None:
    with pytest.raises(
        DataError, match="'grooming'.*not in the labels file; found: \\['aggression'"
    ):
        read_labels(LabelSource(RAT_ANNOT, "caltech"), ("grooming",), n_frames=0, fps=30)
    with pytest.raises(DataError, match="stream 'S9' has no intervals"):
        read_labels(LabelSource(RAT_ANNOT, "caltech", stream="S9"), ("social",), n_frames=0, fps=30)


def _oft(recording: str, **kw: object) -> LabelSource:
    return LabelSource(
        OFT_LABELS,
        "intervals",
        names={"wall": "Supported", "mid": "Unsupported"},
        recording=recording,
        sep=";",
        raters=("Jin", "Furkan", "Oliver"),
        **kw,  # type: ignore[arg-type]
    )


def test_interval_labels_majority_vote_of_three_raters() -> None:
    labels = read_labels(_oft("OFT_38"), ("wall", "mid"), n_frames=1998, fps=25)
    assert set(labels.per_rater) == {"Jin", "Furkan", "Oliver"}
    votes = sum(m.astype(int) for m in labels.per_rater.values())
    np.testing.assert_array_equal(labels.values, (votes >= 2).astype(np.uint8))
    assert labels.values[:, 0].mean() > 0.05  # supported rearing present in the excerpt
    unanimous = read_labels(_oft("OFT_38", min_votes=3), ("wall", "mid"), n_frames=1998, fps=25)
    assert unanimous.values.sum() <= labels.values.sum()


def test_interval_labels_place_seconds_on_frames(tmp_path: Path) -> None:
    table = tmp_path / "iv.csv"
    table.write_text(
        "ID,Experimenter,from,to,type\nv,a,1.0,2.0,groom\nv,b,1.5,3.0,groom\nv,c,0,0.1,other\n"
    )
    src = LabelSource(table, "intervals", recording="v", sep=",")
    labels = read_labels(src, ("groom",), n_frames=40, fps=10)
    assert labels.per_rater["a"][:, 0].nonzero()[0].tolist() == list(range(10, 21))
    # 2 raters of 3 (c scored no grooming) agree on frames 15..20
    assert labels.values[:, 0].nonzero()[0].tolist() == list(range(15, 21))


def test_frame_csv_and_dlc_columns(tmp_path: Path) -> None:
    csv = tmp_path / "labels.csv"
    csv.write_text("frame,grooming,rearing\n0,0,1\n1,1,0\n2,1,0\n")
    labels = read_labels(LabelSource(csv, "frame_csv"), ("grooming", "rearing"), n_frames=3, fps=10)
    assert labels.values.tolist() == [[0, 1], [1, 0], [1, 0]]
    csv.write_text("grooming\n0\n2\n")
    with pytest.raises(DataError, match="must hold 0/1 per frame; row 1 is '2'"):
        read_labels(LabelSource(csv, "frame_csv"), ("grooming",), n_frames=2, fps=10)
    dlc = tmp_path / "thesis.csv"
    dlc.write_text(
        "scorer,DLC,DLC,DLC,grooming\nbodyparts,midbody,midbody,midbody,grooming\n"
        "coords,x,y,likelihood,\n0,1.0,2.0,0.9,0\n1,1.5,2.5,0.9,1\n"
    )
    labels = read_labels(LabelSource(dlc, "dlc_columns"), ("grooming",), n_frames=2, fps=10)
    assert labels.values[:, 0].tolist() == [0, 1]
    assert read_pose(dlc).keypoints == ("midbody",)  # label columns are not keypoints
    assert read_pose(dlc).keypoints == ("midbody",) or "grooming" in read_pose(dlc).keypoints


@pytest.mark.parametrize(
    ("n", "src", "dst", "expected"),
    [(2330, 30, 10, 777), (1998, 25, 10, 800), (4500, 30, 10, 1500), (100, 10, None, 100)],
)
def test_frame_indices_counts(n: int, src: float, dst: float | None, expected: int) -> None:
    idx = frame_indices(n, src, dst)
    assert len(idx) == expected
    assert idx[0] == 0 and idx.max() < n and np.all(np.diff(idx) >= 0)


def test_study_dataset_bundled_sturman_loads() -> None:
    from mbr_search.config.dataset import load_dataset

    ds = load_dataset(STURMAN_MINI)
    assert [v.id for v in ds.videos] == ["OFT_38", "OFT_44"]


# --- strict readers: a malformed row is an error naming the file and line, never a skip ---


def _plain_copy(tmp_path: Path, name: str = "pose.csv") -> tuple[Path, list[str]]:
    import gzip

    text = gzip.decompress(RAT_DLC.read_bytes()).decode()
    path = tmp_path / name
    path.write_text(text)
    return path, text.splitlines(keepends=True)


def test_pose_csv_whose_last_row_is_cut_short(tmp_path: Path) -> None:
    path, lines = _plain_copy(tmp_path)
    assert len(lines) == 4 + 4500
    path.write_text("".join(lines)[:-25])  # a copy killed mid-row
    with pytest.raises(DataError) as err:
        read_pose(path)
    message = str(err.value)
    assert message.startswith(f"{path}: line 4504 has ") and "cut short" in message
    assert "\n" not in message
    path.write_text("".join(lines)[:-1])  # cut inside the last value: same field count
    with pytest.raises(DataError, match="last line does not end with a newline"):
        read_pose(path)


def test_pose_csv_with_a_short_row_blank_line_or_lost_rows_in_the_middle(tmp_path: Path) -> None:
    path, lines = _plain_copy(tmp_path)
    short = [*lines[:99], lines[99].rsplit(",", 5)[0] + "\n", *lines[100:]]
    path.write_text("".join(short))
    with pytest.raises(DataError, match=r"pose.csv: line 100 has 26 fields, the header has 31"):
        read_pose(path)
    path.write_text("".join([*lines[:99], "\n", *lines[99:]]))
    with pytest.raises(DataError, match=r"line 100 is blank although rows follow"):
        read_pose(path)
    # Cut at a line boundary in the middle (a lost block): the frame numbers give it away.
    path.write_text("".join([*lines[:99], *lines[150:]]))
    with pytest.raises(DataError, match=r"line 100 has frame number '146', expected 95"):
        read_pose(path)
    path.write_text("".join([*lines, "\n", "\n"]))  # trailing blank lines lose nothing
    assert read_pose(path).n_frames == 4500


def test_truncated_csv_gz_names_the_file(tmp_path: Path) -> None:
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(RAT_DLC.read_bytes()[: RAT_DLC.stat().st_size // 2])
    with pytest.raises(DataError) as err:
        read_pose(cut)
    assert str(err.value).startswith(f"{cut}: the file is cut short or damaged after line ")
    with pytest.raises(DataError, match=r"cut.csv.gz: the labels CSV is cut short or damaged"):
        read_labels(LabelSource(cut, "dlc_columns"), ("social",), n_frames=0, fps=30)


def test_pose_frames_are_the_files_own_rows_even_when_the_first_is_empty(tmp_path: Path) -> None:
    header = (
        "scorer,s,s,s,s,s,s\nbodyparts,nose,nose,nose,tail,tail,tail\n"
        "coords,x,y,likelihood,x,y,likelihood\n"
    )
    pose = tmp_path / "empty_first.csv"
    pose.write_text(header + "0,,,,,,\n1,1.0,2.0,0.9,3.0,4.0,0.8\n2,1.5,2.5,0.9,3.5,4.5,0.8\n")
    read = read_pose(pose)
    assert read.n_frames == 3
    assert np.isnan(read.xy[0]).all() and read.xy[1, 0, 0].tolist() == [1.0, 2.0]
    pose.write_text(header + ",,,,,,\n,1.0,2.0,0.9,3.0,4.0,0.8\n")  # no index column values
    assert read_pose(pose).n_frames == 2


def _annot_with(tmp_path: Path, old: str, new: str) -> Path:
    text = RAT_ANNOT.read_text()
    assert old in text
    path = tmp_path / "annot.txt"
    path.write_text(text.replace(old, new, 1))
    return path


def test_caltech_malformed_frame_number_and_reversed_interval(tmp_path: Path) -> None:
    behaviours = ("social",)
    bad = _annot_with(tmp_path, "\t536\t961\tsocial", "\t536\t96l\tsocial")
    with pytest.raises(DataError) as err:
        read_labels(LabelSource(bad, "caltech"), behaviours, n_frames=0, fps=30)
    message = str(err.value)
    assert message.startswith(f"{bad}: line 19 ('536\\t96l\\tsocial') is not 'start end behaviour'")
    assert "no interval is skipped" in message and "\n" not in message
    reversed_ = _annot_with(tmp_path, "\t536\t961\tsocial", "\t961\t536\tsocial")
    with pytest.raises(DataError, match=r"line 19 .* starts after it ends \(961 > 536\)"):
        read_labels(LabelSource(reversed_, "caltech"), behaviours, n_frames=0, fps=30)
    zero = _annot_with(tmp_path, "\t1\t535\tbase", "\t0\t535\tbase")
    with pytest.raises(DataError, match=r"line 18 .* frames count from 1"):
        read_labels(LabelSource(zero, "caltech"), behaviours, n_frames=0, fps=30)


def test_interval_rows_with_bad_times_name_their_line(tmp_path: Path) -> None:
    table = tmp_path / "iv.csv"
    src = LabelSource(table, "intervals", recording="v", sep=",")
    head = "ID,Experimenter,from,to,type\n"
    table.write_text(head + "v,a,1.0,2.0,groom\nv,a,3.0,2.5,groom\n")
    with pytest.raises(DataError) as err:
        read_labels(src, ("groom",), n_frames=40, fps=10)
    assert str(err.value).startswith(f"{table}: line 3: the interval starts after it ends (3 s")
    table.write_text(head + "v,a,1.0,2.0,groom\n\nv,a,1.x,2.5,groom\n")
    with pytest.raises(DataError, match=r"line 4: the interval 'from' is '1.x', not a time"):
        read_labels(src, ("groom",), n_frames=40, fps=10)
    table.write_text(head + "v,a,1.0,,groom\n")
    with pytest.raises(DataError, match=r"line 2: the interval 'to' is empty"):
        read_labels(src, ("groom",), n_frames=40, fps=10)
    # Rows this study does not read (other behaviours, a NaN type) are not its labels.
    table.write_text(head + "v,a,1.0,2.0,groom\nv,a,5.0,,\nw,a,9.0,1.0,rear\n")
    labels = read_labels(src, ("groom",), n_frames=40, fps=10)
    assert labels.values[:, 0].nonzero()[0].tolist() == list(range(10, 21))


def test_frame_csv_blank_line_and_frame_number_gap(tmp_path: Path) -> None:
    csv = tmp_path / "labels.csv"
    src = LabelSource(csv, "frame_csv")
    csv.write_text("grooming\n0\n\n1\n")  # the blank line would shift every later frame
    with pytest.raises(DataError, match=r"column 'grooming' .* row 1 is empty \(line 3\)"):
        read_labels(src, ("grooming",), n_frames=2, fps=10)
    csv.write_text("frame,grooming\n0,0\n\n1,1\n")
    with pytest.raises(DataError, match=r"line 3: frame number is empty where 1 was expected"):
        read_labels(src, ("grooming",), n_frames=2, fps=10)
    csv.write_text("frame,grooming\n0,0\n1,1\n3,1\n4,0\n")
    with pytest.raises(DataError, match=r"line 4: frame number '3' where 2 was expected"):
        read_labels(src, ("grooming",), n_frames=4, fps=10)
    csv.write_text("frame,grooming\n0,0\n1,1\n2,1\n\n\n")
    assert read_labels(src, ("grooming",), n_frames=3, fps=10).values[:, 0].tolist() == [0, 1, 1]


def test_run_blames_a_pose_file_cut_mid_file_not_the_labels(tmp_path: Path) -> None:
    from conftest import RAT_MINI, run_cli, write_tiny_study

    data = tmp_path / "data"
    (data / "dlc").mkdir(parents=True)
    (data / "annotations").symlink_to(RAT_MINI.parent / "annotations")
    for pose in (RAT_MINI.parent / "dlc").glob("*.csv.gz"):
        (data / "dlc" / pose.name).symlink_to(pose)
    cut, lines = _plain_copy(data / "dlc", "1DLC_cut.csv")
    cut.write_text("".join(lines[:2254]) + lines[2254][:40])  # a copy stopped half-way
    text = RAT_MINI.read_text().replace(
        "dlc/1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz", "dlc/1DLC_cut.csv"
    )
    (data / "dataset.yaml").write_text(text)
    study = write_tiny_study(tmp_path / "study", dataset=data / "dataset.yaml")
    res = run_cli("run", str(study), "--trials", "1", "--storage", f"sqlite:///{tmp_path}/s.db")
    assert res.returncode == 2, res.stderr
    line = res.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"{cut}: line 2255 has " in line and "cut short" in line
    assert "labels have" not in line and "longer" not in line
