"""Behaviour label readers. Every reader returns a (frames, behaviours) int8 matrix: 1, 0,
or ``UNLABELLED`` (-1) for a frame nobody labelled (``scoring/labelled.py``).

Formats (``labels.format`` in a dataset file):
- ``frame_csv``: one row per frame, one 0/1 column per behaviour (extra columns ignored).
- ``dlc_columns``: label columns inside the DeepLabCut CSV (the thesis' layout).
- ``caltech``: Caltech Behavior Annotator ``.txt`` (CalMS21/MARS/Bento), 1-based inclusive.
- ``intervals``: a table of [from, to] intervals in seconds, possibly from several raters,
  combined per frame by a vote (default: a strict majority of the raters).
- ``boris``: BORIS tabular event exports (CSV/TSV/XLSX) or a ``.boris`` project file, one
  observation per video, optionally one subject (see ``data/boris.py``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mbr_search.data.boris_frames import read_boris
from mbr_search.data.caltech import read_caltech
from mbr_search.errors import DataError
from mbr_search.scoring.labelled import LABEL_DTYPE, UNLABELLED

LABEL_FORMATS = ("frame_csv", "dlc_columns", "caltech", "intervals", "boris")
#: BORIS code whose START/STOP spans mark what was observed (``suggest`` writes them)
OBSERVED_CODE = "observed"


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
    observation: str | None = None  # boris: the observation id of this video
    subject: str | None = None  # boris: one subject's events (None: every subject's)
    absent: tuple[str, ...] = ()  # boris: study behaviours a tabular export may lack (0)
    #: intervals: the type whose rows mark the trial window (frames outside: not labelled)
    window_type: str | None = None
    #: boris: the state behaviour whose spans mark the observed frames (when coded)
    observed: str = OBSERVED_CODE

    def file_name(self, behaviour: str) -> str:
        return self.names.get(behaviour, behaviour)


@dataclass(frozen=True)
class Labels:
    """Per-frame 0/1 labels and, for multi-rater sources, each rater's own labels."""

    values: np.ndarray  # (frames, behaviours) int8: 1, 0 or UNLABELLED
    behaviours: tuple[str, ...]
    #: rater -> (frames, behaviours) int8 (as values); empty for single-rater formats
    per_rater: dict[str, np.ndarray] = field(default_factory=dict)
    #: True when the format fixes its own length (frame formats), False for intervals
    has_length: bool = True
    #: (last frame, "line N ('...')") of the interval reaching furthest in any stream of a
    #: Caltech file: checked against the video's length like the labels' own length
    furthest: tuple[int, str] | None = None


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
    if source.format == "boris":
        return _boris(source, behaviours, n_frames=n_frames, fps=fps)
    raise DataError(f"{source.path}: unknown labels format '{source.format}'.")


def _boris(
    source: LabelSource, behaviours: tuple[str, ...], *, n_frames: int, fps: float
) -> Labels:
    values = read_boris(
        source.path, [(b, source.file_name(b)) for b in behaviours],
        observation=source.observation or "", subject=source.subject, absent=source.absent,
        n_frames=n_frames, fps=fps, sep=source.sep, observed=source.observed,
    )  # fmt: skip
    return Labels(values, behaviours, has_length=False)


def _absent(source: LabelSource, behaviour: str, available: list[str]) -> DataError:
    return DataError(
        f"{source.path}: behaviour '{source.file_name(behaviour)}' (study name '{behaviour}') "
        f"is not in the labels file; found: {sorted(available)}. Fix: map it with the dataset's "
        "labels.names, or drop it from the study's behaviours."
    )


def _to_binary(
    source: LabelSource, column: pd.Series, name: str, first_line: int, blank: np.ndarray
) -> np.ndarray:
    """0/1 values of one label column, UNLABELLED for an empty cell; ``first_line`` is the
    file line of its first row, ``blank`` marks rows with no cell at all (blank lines)."""
    empty = column.isna().to_numpy() | (column.astype(str).str.strip() == "").to_numpy()
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = (~np.isin(values, (0.0, 1.0)) & ~empty) | blank
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        cell = column.iloc[first]
        shown = "empty" if blank[first] else f"'{cell}'"
        raise DataError(
            f"{source.path}: column '{name}' must hold 0/1 per frame; row {first} is {shown} "
            f"(line {first + first_line}). Fix: write 1 for the behaviour, 0 otherwise (an "
            "empty cell in a row that keeps its frame number means not labelled)."
        )
    return np.where(empty, UNLABELLED, values).astype(LABEL_DTYPE)


def _read_table(source: LabelSource, what: str, **kwargs: object) -> pd.DataFrame:
    """``pd.read_csv`` whose failures (bad rows, a cut ``.gz``) are one-line DataErrors.

    Blank lines are kept as empty rows so that row numbers stay line numbers and a blank
    line in the middle cannot shift every later frame; trailing ones are dropped.
    """
    try:
        table = pd.read_csv(source.path, skip_blank_lines=False, **kwargs)  # type: ignore[call-overload]
    except pd.errors.EmptyDataError:
        raise DataError(f"{source.path}: the {what} is empty. Fix: check the file.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{source.path}: cannot parse the {what} ({_one_line(exc)}). Fix: correct that line."
        ) from None
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"{source.path}: the {what} is cut short or damaged ({_one_line(exc)}). "
            "Fix: copy or re-export the file again."
        ) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{source.path}: the {what} is not UTF-8 text ({exc.reason}).") from None
    filled = ~table.isna().all(axis=1).to_numpy()
    n_rows = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return table.iloc[:n_rows]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _frame_csv(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    table = _read_table(source, "labels CSV", sep=source.sep or ",")
    cols = [str(c) for c in table.columns]
    _check_frame_column(source, table)
    blank = table.isna().all(axis=1).to_numpy()
    out = np.zeros((len(table), len(behaviours)), dtype=LABEL_DTYPE)
    for b, behaviour in enumerate(behaviours):
        name = source.file_name(behaviour)
        if name not in cols:
            raise _absent(source, behaviour, cols)
        out[:, b] = _to_binary(source, table[name], name, first_line=2, blank=blank)
    return Labels(out, behaviours)


def _check_frame_column(source: LabelSource, table: pd.DataFrame) -> None:
    """A ``frame`` column must count up by one: a gap or typo would shift later labels."""
    column = next((c for c in table.columns if str(c).strip().lower() == "frame"), None)
    if column is None or len(table) == 0:
        return
    frames = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    start = frames[0] if np.isfinite(frames[0]) and frames[0] == int(frames[0]) else 0.0
    expected = start + np.arange(len(frames))
    wrong = np.flatnonzero(frames != expected)
    if wrong.size:
        i = int(wrong[0])
        cell = table[column].iloc[i]
        shown = "is empty" if pd.isna(cell) else f"'{cell}'"
        raise DataError(
            f"{source.path}: line {i + 2}: frame number {shown} where {int(expected[i])} was "
            "expected; no row is skipped. Fix: one row per frame, frames counting up by 1 "
            "(or drop the frame column)."
        )


def _dlc_columns(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    # In the thesis' files the behaviour columns follow the keypoints; their name appears in
    # one of the header rows (bodyparts or scorer), so look for it in the first rows.
    head = _read_table(source, "labels CSV", header=None, nrows=6, dtype=str, keep_default_na=False)
    n_header = 0
    for r in range(len(head)):
        first = str(head.iat[r, 0]).strip().lower()
        if first in ("scorer", "individuals", "bodyparts", "coords", ""):
            n_header = r + 1
        else:
            break
    body = _read_table(source, "labels CSV", header=None, skiprows=n_header, dtype=str)
    names_per_col: dict[int, str] = {}
    for c in range(head.shape[1]):
        for r in range(n_header):
            names_per_col.setdefault(c, str(head.iat[r, c]).strip())
            cell = str(head.iat[r, c]).strip()
            if cell and cell.lower() not in ("x", "y", "likelihood"):
                names_per_col[c] = cell
    out = np.zeros((len(body), len(behaviours)), dtype=LABEL_DTYPE)
    blank = body.isna().all(axis=1).to_numpy()
    available = sorted(set(names_per_col.values()))
    for b, behaviour in enumerate(behaviours):
        name = source.file_name(behaviour)
        matches = [c for c, n in names_per_col.items() if n.lower() == name.lower()]
        if not matches:
            raise _absent(source, behaviour, available)
        out[:, b] = _to_binary(source, body[matches[0]], name, n_header + 1, blank)
    return Labels(out, behaviours)


def _caltech(source: LabelSource, behaviours: tuple[str, ...]) -> Labels:
    names = [(b, source.file_name(b)) for b in behaviours]
    values, furthest = read_caltech(source.path, source.stream, names)
    return Labels(values, behaviours, furthest=furthest)


def _intervals(
    source: LabelSource, behaviours: tuple[str, ...], *, n_frames: int, fps: float
) -> Labels:
    table = _interval_table(source)
    rec = table[table[source.id_column].astype(str) == str(source.recording)]
    if rec.empty:
        raise DataError(
            f"{source.path}: no intervals for recording '{source.recording}' in column "
            f"'{source.id_column}'. Fix: set labels.recording to an existing id."
        )
    wanted = {source.file_name(b) for b in behaviours}
    rec = _checked_times(source, rec[rec[source.type_column].astype(str).isin(wanted)])
    if source.rater_column:
        found = sorted(rec[source.rater_column].dropna().astype(str).unique())
        raters = list(source.raters) or found
        unknown = [r for r in raters if r not in found]
        if unknown:
            raise DataError(
                f"{source.path}: rater(s) {unknown} have no intervals for '{source.recording}'; "
                f"found {found}. Fix: list existing raters in labels.raters."
            )
    else:
        raters = ["all"]
    # dropna: pandas 3 keeps NaN as NaN through astype(str), and NaN does not sort with str.
    kinds = sorted(table[source.type_column].dropna().astype(str).unique())
    per_rater: dict[str, np.ndarray] = {}
    for rater in raters:
        sel = rec if not source.rater_column else rec[rec[source.rater_column].astype(str) == rater]
        mat = np.zeros((n_frames, len(behaviours)), dtype=LABEL_DTYPE)
        for b, behaviour in enumerate(behaviours):
            name = source.file_name(behaviour)
            if name not in kinds:
                raise _absent(source, behaviour, kinds)
            rows = sel[sel[source.type_column].astype(str) == name]
            for start_s, stop_s in zip(rows["_start_s"], rows["_stop_s"], strict=True):
                first = max(0, int(np.ceil(start_s * fps - 1e-9)))
                last = min(n_frames, int(np.floor(stop_s * fps)) + 1)
                if last > first:
                    mat[first:last, b] = 1
        per_rater[rater] = mat
    votes = np.sum(np.stack(list(per_rater.values())), axis=0)
    need = source.min_votes if source.min_votes is not None else len(raters) // 2 + 1
    values = (votes >= need).astype(LABEL_DTYPE)
    outside = _outside_window(source, table, n_frames, fps)
    for mat in (values, *per_rater.values()):
        mat[outside] = UNLABELLED
    return Labels(values, behaviours, per_rater if source.rater_column else {}, has_length=False)


def _outside_window(
    source: LabelSource, table: pd.DataFrame, n_frames: int, fps: float
) -> np.ndarray:
    """(frames,) bool: frames outside the recording's trial window (``window_type``: from
    the earliest start to the latest stop of its rows, any rater); none without one."""
    outside = np.zeros(n_frames, dtype=bool)
    if source.window_type is None:
        return outside
    rec = table[table[source.id_column].astype(str) == str(source.recording)]
    rows = _checked_times(source, rec[rec[source.type_column].astype(str) == source.window_type])
    if rows.empty:
        raise DataError(
            f"{source.path}: no '{source.window_type}' rows (labels.window_type) for recording "
            f"'{source.recording}', so its trial window is unknown. Fix: add the rows marking "
            "the trial's start and end, or drop labels.window_type to count every frame."
        )
    first = max(0, int(np.ceil(rows["_start_s"].min() * fps - 1e-9)))
    last = min(n_frames, int(np.floor(rows["_stop_s"].max() * fps)) + 1)
    outside[:first] = True
    outside[max(first, last) :] = True
    return outside


def _interval_table(source: LabelSource) -> pd.DataFrame:
    table = _read_table(source, "interval table", sep=source.sep, engine="python")
    needed = [source.id_column, source.type_column, source.start_column, source.stop_column]
    if source.rater_column:
        needed.append(source.rater_column)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError(
            f"{source.path}: columns {missing} not found; columns are {list(table.columns)}. "
            "Fix: name them in the dataset's labels section (id_column, type_column, ...)."
        )
    return table[~table.isna().all(axis=1)]  # blank lines shift nothing in this format


def _checked_times(source: LabelSource, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with their times in ``_start_s``/``_stop_s`` (seconds), every one checked.

    These are the rows that become labels, so a malformed one is an error naming its
    line: a skipped interval would be a label silently lost.
    """
    rows = rows.copy()
    times = {}
    for column in (source.start_column, source.stop_column):
        values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            i = int(bad[0])
            cell = rows[column].iloc[i]
            shown = "empty" if pd.isna(cell) else f"'{cell}'"
            _bad_interval(source, rows, i, f"'{column}' is {shown}, not a time >= 0 in seconds")
        times[column] = values
    start, stop = times[source.start_column], times[source.stop_column]
    reversed_rows = np.flatnonzero(start > stop)
    if reversed_rows.size:
        i = int(reversed_rows[0])
        _bad_interval(source, rows, i, f"starts after it ends ({start[i]:g} s > {stop[i]:g} s)")
    rows["_start_s"], rows["_stop_s"] = start, stop
    return rows


def _bad_interval(source: LabelSource, table: pd.DataFrame, i: int, what: str) -> None:
    line = int(table.index[i]) + 2  # the header is line 1; the index counts blank lines too
    raise DataError(
        f"{source.path}: line {line}: the interval {what}; no interval is skipped. "
        "Fix: correct or delete that row."
    )
