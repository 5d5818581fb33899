"""DeepLabCut pose readers: CSV (single- and multi-animal, pandas re-saved) and H5."""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mbr_search.errors import DataError

_HEADER_NAMES = ("scorer", "individuals", "bodyparts", "coords")


@dataclass(frozen=True)
class Pose:
    """Keypoints of one video. Missing points are NaN in ``xy``."""

    xy: np.ndarray  # (frames, animals, keypoints, 2) float32
    likelihood: np.ndarray  # (frames, animals, keypoints) float32
    individuals: tuple[str, ...]
    keypoints: tuple[str, ...]
    source: Path

    @property
    def n_frames(self) -> int:
        return int(self.xy.shape[0])

    def select(self, keypoints: tuple[str, ...]) -> Pose:
        """Keep only ``keypoints`` (in that order); unknown names are a DataError."""
        missing = [k for k in keypoints if k not in self.keypoints]
        if missing:
            raise DataError(
                f"{self.source}: keypoint(s) {missing} not in the pose file; available: "
                f"{list(self.keypoints)}. Fix: use those names in the dataset's pose.keypoints."
            )
        idx = [self.keypoints.index(k) for k in keypoints]
        return Pose(
            self.xy[:, :, idx], self.likelihood[:, :, idx], self.individuals, keypoints, self.source
        )


def read_pose(path: Path) -> Pose:
    """Read a DeepLabCut pose file (``.csv`` or ``.h5``) into a :class:`Pose`."""
    if not path.is_file():
        raise DataError(f"{path}: pose file not found. Fix: check the path in the dataset file.")
    suffix = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() in (".h5", ".hdf5"):
        return _from_frame(_read_h5(path), path)
    if suffix.endswith(".csv") or suffix.endswith(".csv.gz"):
        return _read_csv(path)
    raise DataError(f"{path}: unknown pose file type. Fix: give a DeepLabCut .csv or .h5 file.")


def _read_csv(path: Path) -> Pose:
    scan = _scan_csv(path)
    head = scan.head
    label_col, rows = scan.label_col, scan.header_rows
    n_header = rows["coords"] + 1
    try:
        values = pd.read_csv(
            path, header=None, skiprows=n_header, dtype=np.float64, na_values=["", "nan", "NaN"]
        )
    except ValueError as exc:
        raise DataError(
            f"{path}: non-numeric pose values ({exc}). Fix: re-export the file."
        ) from exc
    if len(values) != scan.n_rows:  # the scan and pandas must agree on every frame
        raise DataError(
            f"{path}: read {len(values)} rows of values but the file has {scan.n_rows} data "
            "rows. Fix: re-export the file."
        )
    data = values.to_numpy()[:, label_col + 1 :]
    bodyparts = head[rows["bodyparts"]][label_col + 1 :]
    coords = [c.strip().lower() for c in head[rows["coords"]][label_col + 1 :]]
    if "individuals" in rows:
        individuals = head[rows["individuals"]][label_col + 1 :]
    else:
        individuals = ["single"] * len(bodyparts)
    if data.shape[1] != len(coords):
        raise DataError(
            f"{path}: {data.shape[1]} value columns but {len(coords)} header columns. "
            "Fix: the file is truncated or edited; re-export it."
        )
    # Extra columns (e.g. behaviour labels stored beside the keypoints) are not pose.
    keep = [i for i, c in enumerate(coords) if c in ("x", "y", "likelihood")]
    columns = pd.MultiIndex.from_arrays(
        [[individuals[i] for i in keep], [bodyparts[i] for i in keep], [coords[i] for i in keep]]
    )
    frame = pd.DataFrame(data[:, keep], columns=columns)
    return _from_frame(frame, path)


@dataclass(frozen=True)
class _CsvScan:
    head: list[list[str]]  # the header rows, up to and including 'coords'
    header_rows: dict[str, int]  # 'scorer'/'individuals'/'bodyparts'/'coords' -> row
    label_col: int  # column holding those names: 0 (DeepLabCut) or 1 (pandas re-save)
    n_rows: int  # data rows, every one checked complete


def _scan_csv(path: Path) -> _CsvScan:
    """Check every line of a pose CSV before pandas parses it.

    pandas fills a short row with NaN and skips blank lines, so a file cut short (a kill
    or full disk while copying) or edited by hand would lose frames without a word. Here
    each data row must have the header's number of fields, frame numbers must follow each
    other, and the last line must end with a newline; a truncated ``.gz`` is named too.
    """
    last_line = ""

    def lines(handle: Iterable[str]) -> Iterator[str]:
        nonlocal last_line
        for line in handle:
            last_line = line
            yield line

    head: list[list[str]] = []
    found: tuple[dict[str, int], int] | None = None
    checker: _RowChecker | None = None
    line_no = 0
    try:
        with _open_text(path) as handle:
            reader = csv.reader(lines(handle))
            for row in reader:
                line_no = reader.line_num
                if found is None:
                    head.append(row)
                    found = _header(head)
                    if found is None and len(head) >= 6:
                        break
                    if found is not None:
                        checker = _RowChecker(path, len(row), found[1])
                    continue
                assert checker is not None
                checker.add(row, line_no)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(
            f"{path}: the file is cut short or damaged after line {line_no} ({exc}). "
            "Fix: copy or re-export the file again."
        ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"{path}: line {line_no + 1} is not CSV text ({exc}). Fix: give the CSV DeepLabCut "
            "wrote."
        ) from None
    if found is None or checker is None:
        raise DataError(
            f"{path}: not a DeepLabCut pose CSV (no 'bodyparts'/'coords' header rows). "
            "Fix: export the pose with DeepLabCut's CSV writer."
        )
    checker.finish(last_line)
    return _CsvScan(head, found[0], found[1], checker.n_rows)


def _header(head: list[list[str]]) -> tuple[dict[str, int], int] | None:
    """(row of each header name, label column) once the 'coords' row has been read."""
    # The column holding the header names ('scorer', 'bodyparts', 'coords') is 0 for files
    # written by DeepLabCut, 1 for copies re-saved by pandas with an extra index column.
    label_col = None
    rows: dict[str, int] = {}
    for r, row in enumerate(head):
        for c, cell in enumerate(row[:3]):
            if cell.strip().lower() in _HEADER_NAMES:
                rows[cell.strip().lower()] = r
                label_col = c
    if label_col is None or "bodyparts" not in rows or "coords" not in rows:
        return None
    if rows["coords"] != len(head) - 1:
        return None
    return rows, label_col


class _RowChecker:
    """Counts data rows and refuses short/long rows, blank lines and frame-number gaps."""

    def __init__(self, path: Path, width: int, label_col: int) -> None:
        self.path = path
        self.width = width
        self.label_col = label_col
        self.n_rows = 0
        self.next_frame: int | None = None
        self.blank_at: int | None = None

    def add(self, row: list[str], line_no: int) -> None:
        if not row:
            # Blank lines at the very end are harmless; one followed by data hides a frame.
            self.blank_at = self.blank_at or line_no
            return
        if self.blank_at is not None:
            self._fail(self.blank_at, "is blank although rows follow")
        if len(row) != self.width:
            self._fail(line_no, f"has {len(row)} fields, the header has {self.width}")
        self.n_rows += 1
        frame = _as_int(row[self.label_col])
        if self.n_rows == 1:
            self.next_frame = frame  # None: the index is not a frame number (no check)
        elif self.next_frame is not None and frame != self.next_frame:
            self._fail(
                line_no, f"has frame number {row[self.label_col]!r}, expected {self.next_frame}"
            )
        if self.next_frame is not None:
            self.next_frame += 1

    def finish(self, last_line: str) -> None:
        if last_line and not last_line.endswith(("\n", "\r")):
            self._fail(None, "its last line does not end with a newline")
        if self.n_rows == 0:
            raise DataError(
                f"{self.path}: the pose file has a header but no data rows. Fix: check the export."
            )

    def _fail(self, line_no: int | None, what: str) -> None:
        where = f"line {line_no} {what}" if line_no else what
        raise DataError(
            f"{self.path}: {where}; the file is cut short or edited, and no row is skipped. "
            "Fix: re-export or copy the pose file again."
        )


def _as_int(cell: str) -> int | None:
    try:
        return int(cell)
    except ValueError:
        return None


def _read_h5(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_hdf(path)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise DataError(f"{path}: cannot read the DeepLabCut H5 file ({exc}).") from exc
    if not isinstance(frame, pd.DataFrame) or frame.columns.nlevels not in (3, 4):
        raise DataError(f"{path}: not a DeepLabCut H5 table. Fix: give the file DeepLabCut wrote.")
    columns = frame.columns
    if columns.nlevels == 4:
        columns = columns.droplevel(0)  # type: ignore[arg-type]
    else:
        columns = pd.MultiIndex.from_arrays(
            [["single"] * len(columns), columns.get_level_values(1), columns.get_level_values(2)]
        )
    out = pd.DataFrame(frame.to_numpy(dtype=np.float64), columns=columns)
    return out


def _from_frame(frame: pd.DataFrame, path: Path) -> Pose:
    individuals = list(dict.fromkeys(frame.columns.get_level_values(0)))
    keypoints = list(dict.fromkeys(frame.columns.get_level_values(1)))
    n = len(frame)
    xy = np.full((n, len(individuals), len(keypoints), 2), np.nan, dtype=np.float32)
    lik = np.zeros((n, len(individuals), len(keypoints)), dtype=np.float32)
    found_any = False
    for a, ind in enumerate(individuals):
        for k, kp in enumerate(keypoints):
            for ci, coord in enumerate(("x", "y")):
                key = (ind, kp, coord)
                if key in frame.columns:
                    xy[:, a, k, ci] = frame[key].to_numpy(dtype=np.float32)
                    found_any = True
            if (ind, kp, "likelihood") in frame.columns:
                lik[:, a, k] = np.nan_to_num(
                    frame[(ind, kp, "likelihood")].to_numpy(dtype=np.float32), nan=0.0
                )
            else:
                lik[:, a, k] = np.where(np.isfinite(xy[:, a, k, 0]), 1.0, 0.0)
    if not found_any or n == 0:
        raise DataError(f"{path}: the pose file has no x/y values. Fix: check the export.")
    return Pose(xy, lik, tuple(individuals), tuple(keypoints), path)


def _open_text(path: Path):  # type: ignore[no-untyped-def]
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")
