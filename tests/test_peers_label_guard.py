"""The peers benchmark's label guard (benchmarks/peers/label_guard.py): it passes aligned
labels and stops the misaligned ones of issue 21 (clips paired by position, labels of the
wrong clip, most frames at -100)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "peers" / "label_guard.py"
_spec = importlib.util.spec_from_file_location("label_guard", _PATH)
assert _spec is not None and _spec.loader is not None
guard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guard)

CALTECH = """Caltech Behavior Annotator - Annotation File

Configuration file:
base\tz
social\ts
aggression\ta

S1:\tstart\tend\ttype
-----------------------------
   \t1\t6\tbase
   \t7\t15\tsocial
   \t16\t21\taggression
   \t22\t30\tbase

S2:\tstart\tend\ttype
-----------------------------
   \t1\t30\tbase
"""


def _segments(classes: list[np.ndarray], len_segment: int, step: int) -> np.ndarray:
    """DLC2Action's cutting, written out directly: segments of every video, padded -100."""
    out = []
    for y in classes:
        starts = np.arange(0, len(y), step)
        pad = starts[-1] + len_segment - len(y)
        yp = np.concatenate([y, np.full(pad, -100)])
        out += [yp[s : s + len_segment] for s in starts]
    return np.stack(out)


def test_caltech_classes_subsample_one_based_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "1_annot.txt"
    path.write_text(CALTECH)
    rows = guard.read_caltech_s1(path)
    assert rows == [(1, 6, "base"), (7, 15, "social"), (16, 21, "aggression"), (22, 30, "base")]
    y = guard.caltech_classes(rows, ("social", "nonsocial", "aggression"), 10, 3)
    # source frames 0, 3, ..., 27 (1-based 1, 4, ..., 28)
    assert y.tolist() == [0, 0, 1, 1, 1, 3, 3, 0, 0, 0]
    with pytest.raises(guard.LabelGuardError):
        guard.caltech_classes(rows, ("social",), 11, 3)  # needs source frame 31


def test_segment_counts_match_dlc2action_cutting() -> None:
    rng = np.random.default_rng(0)
    videos = [rng.integers(0, 4, size=n) for n in (37, 64, 5)]
    expected = guard.class_counts(_segments(videos, 16, 4).ravel())
    counts = guard.segment_counts(videos, 16, 4, 4)
    assert {k: v for k, v in counts.items() if v} == expected
    assert counts[-100] > 0  # the padding of the last segments


def test_aligned_counts_pass() -> None:
    rng = np.random.default_rng(1)
    videos = [rng.integers(0, 4, size=n) for n in (50, 70)]
    expected = guard.segment_counts(videos, 16, 4, 4)
    reported = guard.class_counts(_segments(videos, 16, 4).ravel())
    assert guard.check_counts("training set", expected, reported) == []
    guard.stop([])  # no problem: returns


def test_misaligned_counts_stop_the_arm() -> None:
    """Issue 21's bug in miniature: the annotation store holds 3 clips per video (two all
    -100), the input store 1, and the dataset takes annotation segments 0..n-1 by
    position: the labels of the wrong clips, most of them -100."""
    rng = np.random.default_rng(2)
    videos = [rng.integers(0, 4, size=n) for n in (50, 70)]
    len_segment, step = 16, 4
    expected = guard.segment_counts(videos, len_segment, step, 4)
    pair = _segments(videos, len_segment, step)  # what the input store's clips line up with
    clips = []
    for y in videos:  # annotation store: per video, individual1, individual2, then the pair
        empty = np.full(len(y), -100)
        clips += [empty, empty, y]
    annotation = _segments(clips, len_segment, step)
    taken = annotation[: len(pair)]  # paired by position
    reported = guard.class_counts(taken.ravel())
    problems = guard.check_counts("training set", expected, reported)
    assert any("differ" in p for p in problems)
    assert any("ignored" in p for p in problems)
    with pytest.raises(guard.LabelGuardError, match="stopped before training"):
        guard.stop(problems)


def test_same_totals_other_frames_ignored_still_stop() -> None:
    """Counts that match per class except that too many labelled frames are -100."""
    expected = {-100: 10, 0: 500, 1: 500}
    reported = {-100: 70, 0: 470, 1: 470}
    problems = guard.check_counts("validation set", expected, reported)
    assert len(problems) == 2
    assert "6.0 %" in problems[1]
    # a few ignored frames (under 5 %) are still a count mismatch: the guard wants equality
    assert guard.check_counts("v", expected, {-100: 20, 0: 495, 1: 495}) != []


def test_coordinates_must_pair() -> None:
    a = [("v1---a+b", 0), ("v1---a+b", 1)]
    assert guard.check_coordinates(a, list(a)) == []
    b = [("v1---a", 0), ("v1---a", 1), ("v1---a+b", 0)]
    (problem,) = guard.check_coordinates(a, b)
    assert "2 segments" in problem and "3" in problem


def test_frame_level_check() -> None:
    y = np.array([0, 1, 1, 2, 3, 0])
    used = np.zeros((6, 3), np.uint8)
    used[[1, 2], 0] = 1
    used[3, 1] = 1
    used[4, 2] = 1
    problems, counts = guard.check_frames("simba_rf", {"v": y}, {"v": used}, 3)
    assert problems == []
    assert counts["v"]["positives"] == [2, 1, 1]
    shifted = np.roll(used, 1, axis=0)  # same counts, one frame late
    problems, _ = guard.check_frames("simba_rf", {"v": y}, {"v": shifted}, 3)
    assert problems and "differs" in problems[0]
    problems, _ = guard.check_frames("simba_rf", {"v": y}, {"v": used[:5]}, 3)
    assert problems and "5 frames" in problems[0]
