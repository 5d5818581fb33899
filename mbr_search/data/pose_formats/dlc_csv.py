"""The project's own DeepLabCut CSV reader, kept where the maintained reader fails.

``movement`` (see ``dlc.py``) reads the CSVs DeepLabCut writes, but not the copies that
pandas re-saved with an extra index column (the Sturman files), nor the thesis' files with
label columns after the keypoints, and it parses a CSV cut short without a word (pandas fills
a short row with NaN and skips blank lines). So every DeepLabCut CSV is first checked here
line by line (:func:`scan_csv`), and parsed here only when the library cannot.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mbr_search.data.pose_model import Pose, pose_from_frame
from mbr_search.errors import DataError

_HEADER_NAMES = ("scorer", "individuals", "bodyparts", "coords")
READER = "dlc via the mbr-search DeepLabCut CSV reader"


def read_csv(path: Path, scan: CsvScan | None = None) -> Pose:
    """Parse a DeepLabCut CSV (any layout the scan accepts) with pandas, row for row."""
    scan = scan or scan_csv(path)
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
    return pose_from_frame(frame, path, READER)


@dataclass(frozen=True)
class CsvScan:
    head: list[list[str]]  # the header rows, up to and including 'coords'
    header_rows: dict[str, int]  # 'scorer'/'individuals'/'bodyparts'/'coords' -> row
    label_col: int  # column holding those names: 0 (DeepLabCut) or 1 (pandas re-save)
    n_rows: int  # data rows, every one checked complete
    first_index: str  # the index cell of the first data row ('' in some hand-made copies)

    @property
    def movement_reads_it(self) -> bool:
        """DeepLabCut's own layout: names in column 0, only x/y/likelihood columns and, for
        one animal, a frame number in the first data row (movement tells the layouts apart
        by that number and refuses the file without it)."""
        coords = {c.strip().lower() for c in self.head[self.header_rows["coords"]][1:]}
        numbered = self.multi_animal or self.first_index.strip().isdigit()
        return self.label_col == 0 and coords <= {"x", "y", "likelihood"} and numbered

    @property
    def multi_animal(self) -> bool:
        return "individuals" in self.header_rows


def scan_csv(path: Path) -> CsvScan:
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
        with open_text(path) as handle:
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
    return CsvScan(head, found[0], found[1], checker.n_rows, checker.first_index)


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
        self.first_index = ""

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
            self.first_index = row[self.label_col]
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


def open_text(path: Path):  # type: ignore[no-untyped-def]
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")
