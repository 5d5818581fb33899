"""`mbr-search suggest`: the ranking (disagreement, near threshold, spread, no overlap), the
writers (BORIS sheet, clips) and the command end to end on bundled data."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _evaluated import Evaluated
from conftest import RAT_MINI, STURMAN_MINI, run_cli

from mbr_search.errors import UsageError
from mbr_search.suggest.rank import DISAGREE, NEAR, RankSettings, Segment, rank, uncertainty

BEHAVIOURS = ("a", "b")
DLC = RAT_MINI.parent / "dlc"
RAT_TEST = [
    DLC / f"{n}DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz" for n in (8, 20)
]


def _confident(frames: int, members: int = 1) -> np.ndarray:
    """(members, frames, 2) probabilities far from a 0.5 threshold: nothing to suggest."""
    return np.full((members, frames, len(BEHAVIOURS)), 0.02, dtype=np.float32)


def _settings(n: int, **kw: int) -> RankSettings:
    return RankSettings(n=n, min_frames=5, max_frames=20, gap_frames=kw.get("gap", 10))


def test_near_threshold_frames_rank_first_and_say_why() -> None:
    probs = _confident(300)
    probs[0, 100:110, 1] = 0.49  # just under b's threshold: a missed bout?
    probs[0, 200:210, 0] = 0.30  # less unsure
    got = rank({"v": probs}, BEHAVIOURS, [0.5, 0.5], [1.0], _settings(2))
    assert [(g.behaviour, g.start, g.stop) for g in got] == [("b", 100, 110), ("a", 200, 210)]
    assert got[0].score > got[1].score and got[0].kind == "uncertain stretch"
    assert NEAR in got[0].reason and DISAGREE not in got[0].reason  # one model: no spread
    # the threshold is the model's own per behaviour, not 0.5
    shifted = rank({"v": probs}, BEHAVIOURS, [0.3, 0.9], [1.0], _settings(1))
    assert (shifted[0].behaviour, shifted[0].start) == ("a", 200)


def test_members_that_disagree_outrank_members_that_agree() -> None:
    probs = _confident(400, members=3)
    probs[:, 50:60, 0] = 0.36  # all three members agree, a little nearer the threshold
    probs[:, 250:260, 0] = np.array([0.02, 0.02, 0.98])[:, None]  # mean 0.34, wide spread
    got = rank({"v": probs}, BEHAVIOURS, [0.5, 0.5], [1, 1, 1], _settings(1))
    assert got[0].start == 250 and got[0].disagreement > 0.8
    assert got[0].reason.index(DISAGREE) < got[0].reason.index(NEAR)
    u = uncertainty(probs, [1, 1, 1], [0.5, 0.5])
    assert u.disagreement[55, 0] == pytest.approx(0.0, abs=1e-6)
    assert u.near[255, 0] < u.near[55, 0]  # only the spread puts it first
    # weights count: a member with no weight cannot disagree
    lone = uncertainty(probs[:2], [1.0, 1e-9], [0.5, 0.5])
    assert lone.disagreement[255, 0] < 1e-3


def test_no_video_or_behaviour_takes_every_slot() -> None:
    loud = _confident(2000)
    loud[0, :, 0] = 0.5  # video "loud" is unsure of "a" everywhere, at the maximum score
    quiet = _confident(2000)
    quiet[0, 500:510, 1] = 0.42  # video "quiet" has one weaker doubt, about "b"
    got = rank({"loud": loud, "quiet": quiet}, BEHAVIOURS, [0.5, 0.5], [1.0], _settings(6))
    assert len(got) == 6
    assert {g.video for g in got} == {"loud", "quiet"}
    assert {g.behaviour for g in got} == set(BEHAVIOURS)
    # by score alone the loud video would take all six
    solo = rank({"loud": loud}, BEHAVIOURS, [0.5, 0.5], [1.0], _settings(6))
    assert min(g.score for g in solo) > max(g.score for g in got if g.video == "quiet")


def test_chosen_segments_never_overlap_or_touch_within_the_gap() -> None:
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.3, 0.7, size=(3, 3000, 2)).astype(np.float32)
    for gap in (0, 15):
        got = rank({"v": probs}, BEHAVIOURS, [0.5, 0.5], [1, 1, 1], _settings(40, gap=gap))
        assert len(got) == 40
        spans = sorted((g.start, g.stop) for g in got)
        assert all(5 <= b - a <= 20 for a, b in spans)
        assert all(nxt[0] >= cur[1] + gap for cur, nxt in itertools.pairwise(spans))
    # across behaviours of one video too (the person labels all behaviours of a segment)
    both = _confident(100)
    both[0, 40:50, :] = 0.5
    got = rank({"v": both}, BEHAVIOURS, [0.5, 0.5], [1.0], _settings(5))
    assert len(got) == 1


def test_labelled_frames_start_no_candidate_and_n_below_one_is_refused() -> None:
    probs = _confident(300)
    probs[0, 100:110, 0] = 0.5
    probs[0, 200:210, 0] = 0.45
    done = np.zeros(300, dtype=bool)
    done[90:120] = True
    got = rank({"v": probs}, BEHAVIOURS, [0.5, 0.5], [1.0], _settings(1), labelled={"v": done})
    assert got[0].start == 200
    with pytest.raises(UsageError, match=r"^--n 0: must be at least 1"):
        RankSettings(n=0)


def test_segments_round_trip_and_the_boris_sheet_reads_back(tmp_path: Path) -> None:
    from mbr_search.data.labels import LabelSource, read_labels
    from mbr_search.suggest.write import (
        SuggestionSet,
        place,
        write_boris_sheets,
        write_segments_csv,
    )

    segs = [
        Segment("v", "a", 20, 30, 0.9, 0.9, 0.0, 0.45, 0.5, "uncertain stretch"),
        Segment("v", "b", 50, 65, 0.8, 0.7, 0.9, 0.6, 0.5, "predicted bout"),
    ]
    placed = [place(k, g, Path("v.csv"), 10.0, 30.0) for k, g in enumerate(segs, start=1)]
    assert (placed[1].start_frame, placed[1].stop_frame, placed[1].stop_s) == (150, 195, 6.5)
    result = SuggestionSet("m", 10.0, _settings(2), tuple(placed), "no clips")
    assert SuggestionSet.from_json(json.loads(json.dumps(result.to_json()))) == result
    table = pd.read_csv(write_segments_csv(tmp_path / "segments.csv", placed))
    assert table["reason"].str.contains("threshold").all() and table["rank"].tolist() == [1, 2]
    (sheet,) = write_boris_sheets(tmp_path, placed)
    source = LabelSource(path=sheet, format="boris")
    back = read_labels(source, BEHAVIOURS, n_frames=100, fps=10.0).values
    assert np.flatnonzero(back[:, 0] == 1).tolist() == list(range(20, 30))
    assert np.flatnonzero(back[:, 1] == 1).tolist() == list(range(50, 65))
    # each segment is an 'observed' span: labelled there (every behaviour), nowhere else
    labelled = [*range(20, 30), *range(50, 65)]
    assert np.flatnonzero((back >= 0).all(axis=1)).tolist() == labelled
    assert (back[(back >= 0).any(axis=1) == 0] == -1).all()


def test_clips_are_cut_from_the_demo_video(tmp_path: Path) -> None:
    import cv2

    from mbr_search.suggest import pair_videos
    from mbr_search.suggest.write import cut_clip

    made = run_cli("demo-data", str(tmp_path / "demo"), "--videos", "1", "--frames", "60",
                   "--fps", "10")  # fmt: skip
    assert made.returncode == 0, made.stderr
    pose = next((tmp_path / "demo").glob("*DLC*.csv"))
    (video,) = pair_videos([pose], None)  # found beside the pose file by DeepLabCut's naming
    assert video is not None and video.suffix == ".mp4"
    name = cut_clip(video, 1.0, 2.5, tmp_path / "clips" / "01_x.mp4")
    assert name == "01_x.mp4"
    cap = cv2.VideoCapture(str(tmp_path / "clips" / name))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert frames == 15
    assert pair_videos([RAT_TEST[0]], None) == [None]  # the bundled rat data has no video
    with pytest.raises(UsageError, match="--video given 1 time"):
        pair_videos(RAT_TEST, [video])


@pytest.mark.slow
def test_suggest_end_to_end_on_the_test_videos(evaluated: Evaluated, tmp_path: Path) -> None:
    model, out = str(evaluated.out / "model"), tmp_path / "next"
    res = run_cli("suggest", model, *map(str, RAT_TEST), "--n", "6", "--out", str(out))
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "segments.csv")
    assert len(table) == 6 and table["video"].nunique() == 2
    assert set(table["behaviour"]) <= {"social", "nonsocial", "aggression"}
    assert (table["stop_s"] - table["start_s"]).between(1.0, 8.0).all()
    assert table["clip"].isna().all() and "no clips for" in res.stdout  # pose only
    assert table["disagreement"].gt(0).any()  # model/ is the selected ensemble
    for video, rows in table.groupby("video"):
        spans = sorted(zip(rows["start_s"], rows["stop_s"], strict=True))
        assert all(b[0] >= a[1] + 2.0 - 1e-6 for a, b in itertools.pairwise(spans))
        assert (out / f"{video}_to_label_boris.xlsx").is_file()
    saved = json.loads((out / "suggestions.json").read_text())
    assert [s["rank"] for s in saved["suggestions"]] == list(range(1, 7))


@pytest.mark.slow
def test_suggest_refuses_other_keypoints_a_bad_n_and_a_non_model(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    model, out = str(evaluated.out / "model"), str(tmp_path / "s")
    sturman = sorted((STURMAN_MINI.parent / "dlc").glob("*.csv.gz"))[0]
    other = run_cli("suggest", model, str(sturman), "--out", out, "--fps", "25")
    assert other.returncode == 2
    (line,) = other.stderr.strip().splitlines()
    assert str(sturman) in line and "'nose'" in line and "Fix:" in line
    assert "['top', 'body', 'tail', 'tail-m', 'tail-e']" in line
    bad_n = run_cli("suggest", model, str(RAT_TEST[0]), "--out", out, "--n", "0")
    assert bad_n.returncode == 2 and "--n 0: must be at least 1" in bad_n.stderr
    not_model = run_cli("suggest", str(evaluated.out), str(RAT_TEST[0]), "--out", out)
    assert not_model.returncode == 2 and "not a model directory" in not_model.stderr
    assert not Path(out).exists()


DEMO_GBDT_SPACE = """\
name: demo_gbdt
model: gbdt
params:
  num_leaves: {type: int, low: 4, high: 8}
fixed:
  max_rounds: 20
  early_stopping_rounds: 5
  frame_step: 2
"""


@pytest.mark.slow
def test_suggest_cuts_clips_of_the_demo_videos_end_to_end(tmp_path: Path) -> None:
    """demo-data -> run (1 gbdt trial) -> evaluate -> suggest: clips beside the pose files."""
    import cv2
    import yaml

    demo = tmp_path / "demo"
    made = run_cli("demo-data", str(demo), "--videos", "4", "--frames", "600", "--fps", "10")
    assert made.returncode == 0, made.stderr
    (tmp_path / "demo_gbdt.yaml").write_text(DEMO_GBDT_SPACE)
    study = tmp_path / "demo_study.yaml"
    study.write_text(
        f"name: demo_study\ndataset: {demo / 'dataset.yaml'}\n"
        "behaviours: [grooming, mid_rearing, wall_rearing]\nfps: 10\n"
        "features: {backbone: pose}\nspace: demo_gbdt.yaml\ncv: {scheme: group_kfold, k: 3}\n"
        "sampler: {name: tpe, n_startup_trials: 1}\npruner: {name: none}\nseed: 0\n"
    )
    storage = f"sqlite:///{tmp_path / 'demo.db'}"
    ran = run_cli("run", str(study), "--trials", "1", "--storage", storage, "--no-progress")
    assert ran.returncode == 0, ran.stderr
    ev = run_cli("evaluate", str(study), "--top", "1", "--no-importance", "--storage", storage,
                 "--out", str(tmp_path / "ev"))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    manifest = yaml.safe_load((demo / "dataset.yaml").read_text())
    test_pose = next(demo / v["pose"] for v in manifest["videos"] if v["split"] == "test")
    out = tmp_path / "s"
    res = run_cli("suggest", str(tmp_path / "ev" / "model"), str(test_pose), "--n", "3",
                  "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "segments.csv")
    assert len(table) >= 1 and table["clip"].notna().all() and "no clips" not in res.stdout
    for row in table.itertuples():
        cap = cv2.VideoCapture(str(out / row.clip))
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        assert frames == round((row.stop_s - row.start_s) * 10)
