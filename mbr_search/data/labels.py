"""Behaviour label readers. Every reader returns a (frames, behaviours) uint8 matrix.

Formats (``labels.format`` in a dataset file):
- ``frame_csv``: one row per frame, one 0/1 column per behaviour (extra columns ignored).
- ``dlc_columns``: label columns inside the DeepLabCut CSV (the thesis' layout).
- ``caltech``: Caltech Behavior Annotator ``.txt`` (CalMS21/MARS/Bento), 1-based inclusive.
- ``intervals``: a table of [from, to] intervals in seconds, possibly from several raters,
  combined per frame by a vote (default: a strict majority of the raters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mbr_search.errors import DataError

LABEL_FORMATS = ("frame_csv", "dlc_columns", "caltech", "intervals")


@dataclass(frozen=True)
class LabelSource:
    """Where and how one video's labels are stored (parsed from the dataset file)."""

    path: Path
    format: str
    #: behaviour name in the study -> name in the file (identity when absent)
    names: dict[str, str] = field(default_factory=dict)
    stream: str = "S1"  # caltech
    recording: str | None = None  # intervals: value of the id column for this video
    id_column: str = "ID"
    rater_column: str | None = "Experimenter"
    type_column: str = "type"
    start_column: str = "from"
    stop_column: str = "to"
    raters: tuple[str, ...] = ()
    min_votes: int | None = None
    sep: str | None = None

    def file_name(self, behaviour: str) -> str:
        return self.names.get(behaviour, behaviour)


@dataclass(frozen=True)
class Labels:
    """Per-frame 0/1 labels and, for multi-rater sources, each rater's own labels."""

    values: np.ndarray  # (frames, behaviours) uint8
    behaviours: tuple[str, ...]
    #: rater -> (frames, behaviours) uint8; empty for single-rater formats
    per_rater: dict[str, np.ndarray] = field(default_factory=dict)
    #: True when the format fixes its own length (frame formats), False for intervals
    has_length: bool = True


def read_labels(
    source: LabelSource, behaviours: tuple[str, ...], *, n_frames: int, fps: float
) -> Labels:
    """Read ``behaviours`` for one video; ``n_frames``/``fps`` place interval labels."""
    if not source.path.is_file():
        raise DataError(
            f"{source.path}: labels file not found. Fix: check the path in the dataset file."
        )
    if source.format == "frame_csv":
        return _frame_csv(source, behaviours)
    if source.format == "dlc_columns":
        return _dlc_columns(source, behaviours)
    if source.format == "caltech":
        return _caltech(source, behaviours)
    if source.format == "intervals":
        return _intervals(source, behaviours, n_frames=n_frames, fps=fps)
    raise DataError(f"{source.path}: unknown labels format '{source.format}'.")


def _absent(source: LabelSource, behaviour: str, available: list[str]) -> DataError:
    return DataError(
        f"{source.path}: behaviour '{source.file_name(behaviour)}' (study name '{behaviour}') "
        f"is not in the labels file; found: {sorted(available)}. Fix: map it with the dataset's "
        "labels.names, or drop it from the study's behaviours."
    )


def _to_binary(source: LabelSource, column: pd.Series, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source.path}: column '{name}' must hold 0/1 per frame; row {first} is "
            f"'{column.iloc[first]}'. Fix: write 1 for the behaviour, 0 otherwise."
        )
    return values.astype(np.uint8)


def _frame_csv(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    try:
        table = pd.read_csv(source.path, sep=source.sep or ",")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{source.path}: cannot parse the labels CSV ({exc}).") from exc
    cols = [str(c) for c in table.columns]
    out = np.zeros((len(table), len(behaviours)), dtype=np.uint8)
    for b, behaviour in enumerate(behaviours):
        name = source.file_name(behaviour)
        if name not in cols:
            raise _absent(source, behaviour, cols)
        out[:, b] = _to_binary(source, table[name], name)
    return Labels(out, behaviours)


def _dlc_columns(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    # In the thesis' files the behaviour columns follow the keypoints; their name appears in
    # one of the header rows (bodyparts or scorer), so look for it in the first rows.
    head = pd.read_csv(source.path, header=None, nrows=6, dtype=str, keep_default_na=False)
    n_header = 0
    for r in range(len(head)):
        first = str(head.iat[r, 0]).strip().lower()
        if first in ("scorer", "individuals", "bodyparts", "coords", ""):
            n_header = r + 1
        else:
            break
    body = pd.read_csv(source.path, header=None, skiprows=n_header, dtype=str)
    names_per_col: dict[int, str] = {}
    for c in range(head.shape[1]):
        for r in range(n_header):
            names_per_col.setdefault(c, str(head.iat[r, c]).strip())
            cell = str(head.iat[r, c]).strip()
            if cell and cell.lower() not in ("x", "y", "likelihood"):
                names_per_col[c] = cell
    out = np.zeros((len(body), len(behaviours)), dtype=np.uint8)
    available = sorted(set(names_per_col.values()))
    for b, behaviour in enumerate(behaviours):
        name = source.file_name(behaviour)
        matches = [c for c, n in names_per_col.items() if n.lower() == name.lower()]
        if not matches:
            raise _absent(source, behaviour, available)
        out[:, b] = _to_binary(source, body[matches[0]], name)
    return Labels(out, behaviours)


_CALTECH_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")


def _caltech(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    lines = source.path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or "Caltech Behavior Annotator" not in lines[0]:
        raise DataError(
            f"{source.path}: not a Caltech Behavior Annotator file (first line). "
            "Fix: use labels.format frame_csv/intervals for other files."
        )
    stream = f"{source.stream}:"
    rows: list[tuple[int, int, str]] = []
    inside = False
    streams: list[str] = []
    declared: set[str] = set()  # the file's 'Configuration file:' block lists every behaviour
    for line in lines:
        token = line.strip().split("\t")[0].strip()
        if re.fullmatch(r"S\d+:", token):
            streams.append(token[:-1])
            inside = token == stream
            continue
        if not streams:
            parts = line.split()
            if len(parts) == 2 and len(parts[1]) == 1:
                declared.add(parts[0])
        if inside:
            match = _CALTECH_ROW.match(line)
            if match:
                rows.append((int(match[1]), int(match[2]), match[3]))
    if not rows:
        raise DataError(
            f"{source.path}: stream '{source.stream}' has no intervals; streams found: {streams}. "
            "Fix: set labels.stream in the dataset file."
        )
    n_frames = max(stop for _, stop, _ in rows)
    kinds = sorted({kind for *_, kind in rows} | declared)
    out = np.zeros((n_frames, len(behaviours)), dtype=np.uint8)
    for b, behaviour in enumerate(behaviours):
        name = source.file_name(behaviour)
        if name not in kinds:
            raise _absent(source, behaviour, kinds)
        for start, stop, kind in rows:
            if kind == name:
                out[start - 1 : stop, b] = 1
    return Labels(out, behaviours)


def _intervals(
    source: LabelSource, behaviours: tuple[str, ...], *, n_frames: int, fps: float
) -> Labels:
    try:
        table = pd.read_csv(source.path, sep=source.sep, engine="python")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{source.path}: cannot parse the interval table ({exc}).") from exc
    needed = [source.id_column, source.type_column, source.start_column, source.stop_column]
    if source.rater_column:
        needed.append(source.rater_column)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError(
            f"{source.path}: columns {missing} not found; columns are {list(table.columns)}. "
            "Fix: name them in the dataset's labels section (id_column, type_column, ...)."
        )
    rec = table[table[source.id_column].astype(str) == str(source.recording)]
    if rec.empty:
        raise DataError(
            f"{source.path}: no intervals for recording '{source.recording}' in column "
            f"'{source.id_column}'. Fix: set labels.recording to an existing id."
        )
    if source.rater_column:
        found = sorted(rec[source.rater_column].astype(str).unique())
        raters = list(source.raters) or found
        unknown = [r for r in raters if r not in found]
        if unknown:
            raise DataError(
                f"{source.path}: rater(s) {unknown} have no intervals for '{source.recording}'; "
                f"found {found}. Fix: list existing raters in labels.raters."
            )
    else:
        raters = ["all"]
    kinds = sorted(table[source.type_column].astype(str).unique())
    per_rater: dict[str, np.ndarray] = {}
    for rater in raters:
        sel = rec if not source.rater_column else rec[rec[source.rater_column].astype(str) == rater]
        mat = np.zeros((n_frames, len(behaviours)), dtype=np.uint8)
        for b, behaviour in enumerate(behaviours):
            name = source.file_name(behaviour)
            if name not in kinds:
                raise _absent(source, behaviour, kinds)
            rows = sel[sel[source.type_column].astype(str) == name]
            for start_s, stop_s in zip(
                rows[source.start_column], rows[source.stop_column], strict=True
            ):
                first = max(0, int(np.ceil(float(start_s) * fps - 1e-9)))
                last = min(n_frames, int(np.floor(float(stop_s) * fps)) + 1)
                if last > first:
                    mat[first:last, b] = 1
        per_rater[rater] = mat
    votes = np.sum(np.stack(list(per_rater.values())), axis=0)
    need = source.min_votes if source.min_votes is not None else len(raters) // 2 + 1
    values = (votes >= need).astype(np.uint8)
    return Labels(values, behaviours, per_rater if source.rater_column else {}, has_length=False)
