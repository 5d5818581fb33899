"""The label guard of every peer arm: what an arm trains on must be the Caltech labels.

Issue 21: the DLC2Action arm trained for days on labels from the wrong clips (its CSV
annotation store built 3 clips per video, the input store 1, and ``BehaviorDataset`` pairs
them by position), and nothing stopped it. Each arm now compares the labels it is about to
train on with counts computed here, straight from the Caltech files, before it trains:

- :func:`caltech_classes`: the 10 fps class of every frame of one video (0 = none of the
  behaviours, 1.. = the behaviours in order), read from the Caltech file by this module's
  own small parser (not the package's reader, so the check is independent of it);
- :func:`segment_counts`: the counts DLC2Action must report for a set of videos, cut into
  its segments (``len_segment`` frames every ``step`` frames, the last ones padded with
  -100), the same bookkeeping as its ``_make_trimmed_annotations``;
- :func:`check_counts`: reported vs expected; a mismatch, or more than ``max_ignored``
  (5 %) of the labelled frames at -100, is a problem;
- :func:`check_frames`: for the frame-level arms (SimBA-style forest, HGB): frames and
  per-behaviour positive counts of each video equal to the Caltech files;
- :func:`check_coordinates`: DLC2Action's input and annotation stores hold the same
  segments in the same order (the position pairing ``BehaviorDataset`` relies on).

Pure numpy (it runs in DLC2Action's environment as well as the project's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

#: at most this fraction of the labelled frames may be ignored (-100) by an arm
MAX_IGNORED = 0.05
IGNORED = -100
_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")


class LabelGuardError(RuntimeError):
    """The labels an arm is about to train on are not the Caltech labels."""


def read_caltech_s1(path: Path | str) -> list[tuple[int, int, str]]:
    """The ``S1`` stream of a Caltech Behavior Annotator file: (start, end, type) rows,
    1-based inclusive frame numbers, as written."""
    rows: list[tuple[int, int, str]] = []
    in_s1 = False
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        head = line.strip()
        if re.match(r"^S\d+:", head):
            in_s1 = head.startswith("S1:")
            continue
        if in_s1:
            m = _ROW.match(line)
            if m:
                rows.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    if not rows:
        raise LabelGuardError(f"{path}: no S1 rows (not a Caltech Behavior Annotator file?)")
    return rows


def caltech_classes(
    rows: Sequence[tuple[int, int, str]], behaviours: Sequence[str], n_frames: int, step: int
) -> np.ndarray:
    """Class per output frame (0 = none, k = ``behaviours[k - 1]``) of frames 0, ``step``,
    2 ``step``, ... of the source video, ``n_frames`` of them. Source frames the file does not
    cover are 0 (as every reader here treats them); a file that stops short of the last
    output frame is an error."""
    index = {b: k + 1 for k, b in enumerate(behaviours)}
    last = max(end for _, end, _ in rows)
    if (n_frames - 1) * step + 1 > last:
        raise LabelGuardError(
            f"the Caltech rows end at source frame {last}, but {n_frames} frames at step "
            f"{step} need {(n_frames - 1) * step + 1}"
        )
    source = np.zeros(last, np.int64)
    for start, end, kind in rows:
        if kind in index:
            source[start - 1 : end] = index[kind]
    return source[::step][:n_frames]


def class_counts(values: Iterable[int] | np.ndarray) -> dict[int, int]:
    """{class: count}, keys sorted."""
    arr = values if isinstance(values, np.ndarray) else np.fromiter(values, np.int64)
    keys, counts = np.unique(arr, return_counts=True)
    return {int(k): int(c) for k, c in zip(keys, counts, strict=True)}


def segment_counts(
    videos: Iterable[np.ndarray], len_segment: int, step: int, n_classes: int
) -> dict[int, int]:
    """The class counts over DLC2Action's segments of these videos (one class array per
    video): segments start at 0, ``step``, ... < frames, each ``len_segment`` long, the
    video padded with -100 to the end of the last one. Every class 0..n_classes-1 and -100
    appear as keys."""
    total = {IGNORED: 0, **{c: 0 for c in range(n_classes)}}
    for labels in videos:
        y = np.asarray(labels, np.int64)
        starts = np.arange(0, len(y), step)
        pad = int(starts[-1] + len_segment - len(y))
        padded = np.concatenate([y, np.full(pad, IGNORED, np.int64)])
        for s in starts:
            for k, c in class_counts(padded[s : s + len_segment]).items():
                total[k] = total.get(k, 0) + c
    return dict(sorted(total.items()))


def ignored_fraction(expected: Mapping[int, int], reported: Mapping[int, int]) -> float:
    """Fraction of the labelled positions (everything but the expected -100 padding) that
    the arm holds at -100."""
    pad = expected.get(IGNORED, 0)
    labelled = sum(v for k, v in expected.items() if k != IGNORED)
    extra = reported.get(IGNORED, 0) - pad
    return max(extra, 0) / max(labelled, 1)


def check_counts(
    what: str,
    expected: Mapping[int, int],
    reported: Mapping[int, int],
    max_ignored: float = MAX_IGNORED,
) -> list[str]:
    """Problems (empty: the guard passes) of one set's reported class counts."""
    exp = {int(k): int(v) for k, v in expected.items()}
    rep = {int(k): int(v) for k, v in reported.items()}
    keys = sorted(set(exp) | set(rep))
    problems = []
    exp_all = {k: exp.get(k, 0) for k in keys}
    rep_all = {k: rep.get(k, 0) for k in keys}
    if exp_all != rep_all:
        problems.append(
            f"{what}: label counts differ from the Caltech files: expected {exp_all}, "
            f"the arm has {rep_all}"
        )
    frac = ignored_fraction(exp, rep)
    if frac > max_ignored:
        problems.append(
            f"{what}: {100 * frac:.1f} % of the labelled frames are ignored (-100), more than "
            f"{100 * max_ignored:.0f} %"
        )
    return problems


def check_frames(
    what: str,
    expected: Mapping[str, np.ndarray],
    used: Mapping[str, np.ndarray],
    n_behaviours: int,
) -> tuple[list[str], dict[str, dict[str, list[int] | int]]]:
    """Frame-level arms: per video, the frames and the positive frames of each behaviour of
    the (frames, behaviours) 0/1 labels the arm trains on (``used``) must equal the Caltech
    classes (``expected``: class per frame). Returns (problems, per-video counts)."""
    problems: list[str] = []
    counts: dict[str, dict[str, list[int] | int]] = {}
    for vid in sorted(set(expected) | set(used)):
        if vid not in used or vid not in expected:
            problems.append(f"{what}: video {vid} is in only one of Caltech / the arm")
            continue
        y = np.asarray(expected[vid])
        u = np.asarray(used[vid])
        exp_pos = [int((y == k + 1).sum()) for k in range(n_behaviours)]
        used_pos = [int((u[:, k] > 0).sum()) for k in range(n_behaviours)] if u.ndim == 2 else []
        counts[vid] = {
            "frames": len(u),
            "frames_caltech": len(y),
            "positives": used_pos,
            "positives_caltech": exp_pos,
        }
        if len(u) != len(y):
            problems.append(f"{what}: {vid} has {len(u)} frames, the Caltech file {len(y)}")
        elif used_pos != exp_pos:
            problems.append(f"{what}: {vid} positives per behaviour {used_pos}, Caltech {exp_pos}")
        elif u.ndim == 2:
            # single-label data: the frame's class is its positive behaviour, or 0
            classes = np.where(u.max(axis=1) > 0, u.argmax(axis=1) + 1, 0)
            mismatch = int((classes != y).sum())
            if mismatch:
                problems.append(f"{what}: {vid} has {mismatch} frames whose label differs")
    return problems, counts


def check_coordinates(
    input_coords: Sequence[Sequence[object]], annotation_coords: Sequence[Sequence[object]]
) -> list[str]:
    """DLC2Action's input and annotation stores must list the same (clip, segment) pairs in
    the same order: its ``BehaviorDataset`` pairs them by position."""
    a = [tuple(str(x) for x in c) for c in input_coords]
    b = [tuple(str(x) for x in c) for c in annotation_coords]
    if a == b:
        return []
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    where = (
        f"first difference at segment {first}: input {a[first]}, annotation {b[first]}"
        if first is not None
        else "one list is a prefix of the other"
    )
    return [
        f"DLC2Action's input store has {len(a)} segments, its annotation store {len(b)}; {where}"
    ]


def stop(problems: Sequence[str]) -> None:
    """Raise :class:`LabelGuardError` with every problem, or return."""
    if problems:
        raise LabelGuardError(
            "label guard: the arm would train on labels that are not the Caltech labels; "
            "stopped before training.\n  - " + "\n  - ".join(problems)
        )


def caltech_truth(
    videos: Iterable[str],
    frames: Mapping[str, int],
    rat_dir: Path,
    behaviours: Sequence[str],
    step: int,
) -> dict[str, np.ndarray]:
    """Class per output frame of each video (``ratNN``): ``rat_dir/annotations/N_annot.txt``."""
    out = {}
    for vid in videos:
        rows = read_caltech_s1(Path(rat_dir) / "annotations" / f"{int(vid[3:])}_annot.txt")
        out[vid] = caltech_classes(rows, behaviours, frames[vid], step)
    return out


def frame_guard(
    arm: str,
    truth: Mapping[str, np.ndarray],
    rows: Mapping[str, int],
    rat_dir: Path,
    behaviours: Sequence[str],
    step: int,
) -> dict[str, object]:
    """The guard of a frame-level arm (SimBA-style forest, HGB): the (frames, behaviours)
    labels it trains and is scored on (``truth``) and its feature rows per video (``rows``)
    against the Caltech files after the frame mapping (every ``step``-th source frame).
    Raises :class:`LabelGuardError` on a problem; returns the record for the JSON."""
    caltech = caltech_truth(truth, {v: len(y) for v, y in truth.items()}, rat_dir, behaviours, step)
    problems, counts = check_frames(arm, caltech, truth, len(behaviours))
    for vid, n in rows.items():
        if n != len(truth[vid]):
            problems.append(f"{arm}: {vid} has {n} feature rows, {len(truth[vid])} label rows")
    record = {
        "passed": not problems,
        "problems": problems,
        "videos": len(counts),
        "frames": sum(int(c["frames"]) for c in counts.values()),
        "positives_per_behaviour": [
            sum(int(c["positives"][k]) for c in counts.values())  # type: ignore[index]
            for k in range(len(behaviours))
        ],
        "positives_per_behaviour_caltech": [
            sum(int(c["positives_caltech"][k]) for c in counts.values())  # type: ignore[index]
            for k in range(len(behaviours))
        ],
        "per_video": counts,
    }
    print(f"LABEL GUARD {arm}: {'passed' if not problems else 'FAILED'}", flush=True)
    stop(problems)
    return record
