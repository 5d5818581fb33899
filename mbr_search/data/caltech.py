"""Caltech Behavior Annotator ``.txt`` labels (CalMS21, MARS, Bento): streams of 1-based,
inclusive ``start end type`` intervals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mbr_search.errors import DataError
from mbr_search.scoring.labelled import LABEL_DTYPE, UNLABELLED

_CALTECH_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")
_CALTECH_STREAM = re.compile(r"S\d+:")
#: No recording has more frames (a month at 30 fps): a larger number is a typo or damage.
_MAX_FRAME = 100_000_000


def read_caltech(
    path: Path, stream: str, names: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, tuple[int, str] | None]:
    """``(frames, len(names))`` labels of one stream (1, 0, or UNLABELLED for a frame in
    no interval of the stream) and the interval of any stream that ends last (its frame
    and line). ``names`` pairs each study behaviour with its name in the file."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or "Caltech Behavior Annotator" not in lines[0]:
        raise DataError(
            f"{path}: not a Caltech Behavior Annotator file (first line). "
            "Fix: use labels.format frame_csv/intervals for other files."
        )
    by_stream, declared, furthest = _caltech_streams(path, lines)
    rows = by_stream.get(stream, [])
    if not rows:
        raise DataError(
            f"{path}: stream '{stream}' has no intervals; streams found: "
            f"{list(by_stream)}. Fix: set labels.stream in the dataset file."
        )
    n_frames = max(stop for _, stop, _ in rows)
    kinds = sorted({kind for *_, kind in rows} | declared)
    # A Caltech stream gives every frame it annotates a type (the annotator's "other" or
    # "base" included): a frame in no interval of the stream was not annotated.
    out = np.full((n_frames, len(names)), UNLABELLED, dtype=LABEL_DTYPE)
    for start, stop, _kind in rows:
        out[start - 1 : stop] = 0
    for b, (behaviour, name) in enumerate(names):
        if name not in kinds:
            raise DataError(
                f"{path}: behaviour '{name}' (study name '{behaviour}') is not in the labels "
                f"file; found: {kinds}. Fix: map it with the dataset's labels.names, or drop it "
                "from the study's behaviours."
            )
        for start, stop, kind in rows:
            if kind == name:
                out[start - 1 : stop, b] = 1
    return out, furthest


def _caltech_streams(
    path: Path, lines: list[str]
) -> tuple[dict[str, list[tuple[int, int, str]]], set[str], tuple[int, str] | None]:
    """Every stream's ``(start, stop, kind)`` rows, the behaviours the file declares and
    the interval of any stream that ends last (its frame and line).

    Inside a stream each line is blank, the dashed rule or ``start stop kind`` with
    1-based inclusive frames and start <= stop; anything else is an error naming the line,
    never a skipped interval.
    """
    by_stream: dict[str, list[tuple[int, int, str]]] = {}
    current: list[tuple[int, int, str]] | None = None
    declared: set[str] = set()  # the file's 'Configuration file:' block lists every behaviour
    furthest: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        token = line.strip().split("\t")[0].strip()
        if _CALTECH_STREAM.fullmatch(token):
            current = by_stream.setdefault(token[:-1], [])
            continue
        if current is None:
            parts = line.split()
            if len(parts) == 2 and len(parts[1]) == 1:
                declared.add(parts[0])
            continue
        if not line.strip() or set(line.strip()) == {"-"}:
            continue
        match = _CALTECH_ROW.match(line)
        if match is None:
            _bad_caltech_line(path, number, line, "is not 'start end behaviour'")
            continue
        start, stop = int(match[1]), int(match[2])
        if start < 1:
            _bad_caltech_line(path, number, line, "starts at frame 0; frames count from 1")
        if start > stop:
            _bad_caltech_line(path, number, line, f"starts after it ends ({start} > {stop})")
        if stop > _MAX_FRAME:  # allocating that many frames would exhaust memory first
            _bad_caltech_line(path, number, line, f"ends past frame {_MAX_FRAME:,}")
        current.append((start, stop, match[3]))
        if furthest is None or stop > furthest[0]:
            furthest = (stop, f"line {number} ({line.strip()!r})")
    return by_stream, declared, furthest


def _bad_caltech_line(path: Path, number: int, line: str, what: str) -> None:
    raise DataError(
        f"{path}: line {number} ({line.strip()!r}) {what}; no interval is skipped. "
        "Fix: correct or delete that line."
    )
