"""Bout tables: a plain CSV and a spreadsheet BORIS imports as events.

BORIS (Observations > Import observations, "Spreadsheet files (*.ods *.xlsx)") reads the
first worksheet of an XLSX/ODS file into the open observation; the header must hold the
columns ``time``, ``subject``, ``code``, ``modifier`` and ``comment`` (any order, any case).
A state behaviour is a pair of events with the same code: one row at the bout's start and
one at its stop, time in seconds. The XLSX is written with the standard library (a minimal
Office Open XML workbook with inline strings), so no spreadsheet package is needed.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from mbr_search._atomic import atomic_path, write_text_atomic
from mbr_search.scoring.bouts import bouts

BORIS_COLUMNS = ("time", "subject", "code", "modifier", "comment")
OUT_FIX = "free disk space or choose another --out folder"


def bout_rows(
    binary: np.ndarray, behaviours: Sequence[str], fps: float
) -> list[tuple[str, int, int, float, float]]:
    """``(behaviour, start_frame, stop_frame, start_s, stop_s)`` for every bout, by start.

    ``stop_frame`` is exclusive: the bout covers frames ``start..stop-1`` and ends at
    ``stop_s`` = stop_frame / fps.
    """
    rows = []
    for c, b in enumerate(behaviours):
        for start, stop in bouts(binary[:, c]):
            rows.append((b, int(start), int(stop), start / fps, stop / fps))
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


def write_bouts_csv(path: Path, rows: Sequence[tuple[str, int, int, float, float]]) -> Path:
    """``behaviour,start_frame,stop_frame,start_s,stop_s,duration_s`` (stop exclusive)."""
    lines = ["behaviour,start_frame,stop_frame,start_s,stop_s,duration_s"]
    for b, f0, f1, t0, t1 in rows:
        lines.append(f"{b},{f0},{f1},{t0:.4f},{t1:.4f},{t1 - t0:.4f}")
    write_text_atomic(path, "\n".join(lines) + "\n", fix=OUT_FIX)
    return path


#: One BORIS import row: time (s), subject, code, modifier, comment.
BorisEvent = tuple[float, str, str, str, str]


def boris_events(
    rows: Sequence[tuple[str, int, int, float, float]], subject: str = ""
) -> list[BorisEvent]:
    """BORIS events of :func:`bout_rows`: a start and a stop row per bout."""
    return start_stop_events([(b, t0, t1, "") for b, _f0, _f1, t0, t1 in rows], subject)


def start_stop_events(
    bouts: Iterable[tuple[str, float, float, str]], subject: str = ""
) -> list[BorisEvent]:
    """A START and a STOP event per ``(code, start_s, stop_s, comment)`` bout, sorted by
    time; at the same instant a STOP comes before a START (BORIS pairs them in order), then
    by code. ``predict``'s bout sheets and ``suggest``'s to-label sheets both write these."""
    events = []
    for code, t0, t1, comment in bouts:
        events.append((round(float(t0), 4), 1, code, comment))
        events.append((round(float(t1), 4), 0, code, comment))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(t, subject, code, "", comment) for t, _order, code, comment in events]


def write_boris_xlsx(path: Path, events: Sequence[BorisEvent]) -> Path:
    """A one-sheet XLSX with the BORIS import header and one row per event (atomic)."""
    rows = [_row(1, BORIS_COLUMNS)]
    rows += [_row(i, e) for i, e in enumerate(events, start=2)]
    sheet = (
        f'{_XML}<worksheet xmlns="{_SHEET_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    )
    with (
        atomic_path(path, fix=OUT_FIX) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        name = chr(65 + rem) + name
    return name


def _row(number: int, values: Sequence[object]) -> str:
    cells = []
    for j, value in enumerate(values):
        ref = f"{_column(j)}{number}"
        if isinstance(value, int | float | np.number) and not isinstance(value, bool):
            # repr of a Python float round-trips exactly; numpy scalars would print "np.float64"
            cells.append(f'<c r="{ref}"><v>{float(value)!r}</v></c>')
        elif value != "":
            text = escape(str(value))
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OOXML = "http://schemas.openxmlformats.org"
_PKG_RELS = f"{_OOXML}/package/2006/relationships"
_DOC_RELS = f"{_OOXML}/officeDocument/2006/relationships"
_SHEET_NS = f"{_OOXML}/spreadsheetml/2006/main"
_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_MIME}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_MIME}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_SHEET_NS}" xmlns:r="{_DOC_RELS}">'
    '<sheets><sheet name="events" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
