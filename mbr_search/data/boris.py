"""BORIS labels: tabular event exports (CSV, TSV, XLSX) and ``.boris`` project files.

Layouts read, as BORIS writes them (``boris/export_observation.py``, ``boris/config.py``
in BORIS's source, https://github.com/olivierfriard/BORIS):

- **v8 and later** (Observations > Export events > Tabular events): one header row, then
  one row per event: ``Observation id, Observation date, Description, Observation
  duration, Observation type, Source, Time offset (s), Media duration (s), FPS,
  [independent variables], Subject, Behavior, Behavioral category, [Modifier #1, ...],
  Behavior type, Time, Media file name, Image index, Image file path, Comment``. In this
  layout ``Behavior type`` holds the event's status (START/STOP, or POINT), the change
  SimBA's PR #262 adapted to.
- **before v8** (7.x): ``key, value`` rows (``Observation id``, ``Player #1``,
  ``Observation date``, ``Description``, ``Time offset (s)``, ...), then the header
  ``Time, Media file path, Total length, FPS, Subject, Behavior, [Behavioral category],
  [Modifier 1, ...], Comment, Status`` and one row per event.
- **the import sheet** that ``mbr-search predict`` writes (``time, subject, code,
  modifier, comment``, any case): it has no status, so, as in BORIS, the events of one
  subject, behaviour and modifier alternate START, STOP.
- **the project file** (``.boris``, JSON, optionally gzipped): ``observations`` -> id ->
  ``events`` (``[time, subject, code, modifier, comment(, frame index)]``) and ``time
  offset``; the ethogram (``behaviors_conf``) says which codes are state events (their
  events alternate START/STOP per subject and modifier); the others are point events.

BORIS records an event at the media time plus the observation's time offset; the offset is
subtracted. A state event covers the frames from its START's nearest frame up to, not
including, its STOP's nearest frame (at least one frame); a point event is one frame.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbr_search.data._xlsx import xlsx_rows
from mbr_search.errors import DataError

#: The key of a project observation that limits it to part of the media (BORIS 8).
INTERVAL_KEY = "observation time interval"
#: How BORIS names the subject of events coded without one.
NO_FOCAL = "No focal subject"
_STATUSES = ("START", "STOP", "POINT")


@dataclass(frozen=True)
class Event:
    time: float  # seconds of media time (the time offset already subtracted)
    subject: str
    behaviour: str
    modifier: str
    status: str  # START / STOP / POINT
    where: str  # "line 12", "row 12" or "observation 'x' events[3]"


@dataclass(frozen=True)
class Export:
    kind: str  # "tabular export", "import sheet" or "project file"
    events: list[Event]  # the selected observation's, in file order
    behaviours: set[str]  # every behaviour the file names, in any observation
    subjects: set[str]
    from_ethogram: bool  # behaviours come from an ethogram (not only from coded events)
    #: a project observation's "observation time interval" (media seconds; stop None: to
    #: the end), when BORIS was told to observe part of the media only
    interval: tuple[float, float | None] | None = None


def check_names(
    path: Path, export: Export, names: Sequence[tuple[str, str]], absent: Sequence[str]
) -> None:
    missing = [
        file for study, file in names if file not in export.behaviours and study not in absent
    ]
    if not missing:
        return
    fix = "map the study's names to BORIS's with the dataset's labels.names (study: BORIS)"
    if not export.from_ethogram:
        fix += ", or list behaviours never coded in this export under labels.absent"
    raise DataError(
        f"{path}: the behaviours of this BORIS {export.kind} do not match the study: "
        f"{missing} not found; the study asks for {[file for _, file in names]}, the file has "
        f"{sorted(export.behaviours)}. Fix: {fix}."
    )


def load_export(path: Path, observation: str, sep: str | None) -> Export:
    name = path.name.lower()
    if name.endswith((".boris", ".boris.gz", ".json")):
        return _project(path, observation)
    if name.endswith((".xlsx", ".xlsm")):
        return _tabular(path, xlsx_rows(path), observation, "row")
    return _tabular(path, _text_rows(path, sep), observation, "line")


def _text_rows(path: Path, sep: str | None) -> list[tuple[int, list[str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: the BORIS export is not UTF-8 text ({exc.reason}).") from None
    first = text.split("\n", 1)[0]
    tabbed = path.suffix.lower() in (".tsv", ".tab") or first.count("\t") > first.count(",")
    reader = csv.reader(io.StringIO(text), delimiter=sep or ("\t" if tabbed else ","))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise DataError(
            f"{path}: line {reader.line_num}: cannot parse the BORIS export ({exc}). "
            "Fix: correct that line."
        ) from None


def _is_header(cells: list[str]) -> bool:
    lowered = {c.strip().lower() for c in cells}
    return "time" in lowered and bool(lowered & {"behavior", "behaviour", "code"})


def _tabular(path: Path, rows: list[tuple[int, list[str]]], observation: str, unit: str) -> Export:
    at = next((i for i, (_, cells) in enumerate(rows) if _is_header(cells)), None)
    if at is None:
        raise DataError(
            f"{path}: no BORIS header row (with 'Time' and 'Behavior' columns) found. Fix: "
            "export with Observations > Export events > Tabular events (not aggregated "
            "events), or give the .boris project file."
        )
    meta = {c[0].strip(): c[1].strip() for _, c in rows[:at] if len(c) > 1 and c[0].strip()}
    columns: dict[str, int] = {}
    for j, cell in enumerate(rows[at][1]):
        columns.setdefault(cell.strip().lower(), j)
    body = [(n, c) for n, c in rows[at + 1 :] if any(x.strip() for x in c)]
    kept = _observation_rows(path, body, columns, meta, observation)
    events = [_tabular_event(path, f"{unit} {n}", cells, columns, meta) for n, cells in kept]
    has_status = "status" in columns or "behavior type" in columns
    behaviour_col = _behaviour_column(columns)
    return Export(
        kind="tabular export" if has_status else "import sheet",
        events=events if has_status else _alternate(events, lambda _code: True),
        behaviours={_cell(c, behaviour_col) for _, c in body} - {""},
        subjects={_cell(c, columns.get("subject")) or NO_FOCAL for _, c in body},
        from_ethogram=False,
    )


def _behaviour_column(columns: dict[str, int]) -> int:
    return next(columns[k] for k in ("behavior", "behaviour", "code") if k in columns)


def _cell(cells: list[str], column: int | None) -> str:
    return cells[column].strip() if column is not None and column < len(cells) else ""


def _observation_rows(
    path: Path,
    body: list[tuple[int, list[str]]],
    columns: dict[str, int],
    meta: dict[str, str],
    observation: str,
) -> list[tuple[int, list[str]]]:
    """The rows of ``observation``: v8 names it per row, 7.x once above the header."""
    column = columns.get("observation id")
    if column is not None:
        found = {_cell(c, column) for _, c in body}
        kept = [(n, c) for n, c in body if _cell(c, column) == observation]
    elif "Observation id" in meta:
        found = {meta["Observation id"]}
        kept = body if observation in found else []
    else:
        return body  # the import sheet holds one observation and does not name it
    if observation not in found:
        raise _no_observation(path, observation, found)
    return kept


def _no_observation(path: Path, observation: str, found: set[str]) -> DataError:
    shown = sorted(found)
    listed = f"{shown[:20]}{' ...' if len(shown) > 20 else ''}"
    return DataError(
        f"{path}: no BORIS observation '{observation}' for this video; the file's observations "
        f"are {listed}. Fix: set labels.observation to the observation id of this video "
        "(default: the video id)."
    )


def _tabular_event(
    path: Path, where: str, cells: list[str], columns: dict[str, int], meta: dict[str, str]
) -> Event:
    status_col = columns.get("status", columns.get("behavior type"))
    offset_col = columns.get("time offset (s)")
    offset_text = _cell(cells, offset_col) if offset_col is not None else ""
    offset = _seconds(
        path, where, offset_text or meta.get("Time offset (s)", "") or "0", "time offset"
    )
    status = _cell(cells, status_col).upper() if status_col is not None else "START"
    if status not in _STATUSES:
        raise DataError(
            f"{path}: {where}: status '{_cell(cells, status_col)}' is not START, STOP or POINT; "
            "no event is skipped. Fix: correct that row (a tabular events export has these)."
        )
    modifiers = [
        cells[j] for name, j in columns.items() if name.startswith("modifier") and j < len(cells)
    ]
    return Event(
        time=_seconds(path, where, _cell(cells, columns["time"]), "time") - offset,
        subject=_cell(cells, columns.get("subject")) or NO_FOCAL,
        behaviour=_cell(cells, _behaviour_column(columns)),
        modifier="|".join(m.strip() for m in modifiers),
        status=status,
        where=where,
    )


def _seconds(path: Path, where: str, text: Any, what: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataError(
            f"{path}: {where}: {what} '{text}' is not a number of seconds; no event is skipped. "
            "Fix: export with the time in seconds, or correct that row."
        )
    return value


def _alternate(events: list[Event], is_state: Any) -> list[Event]:
    """Statuses as BORIS derives them: a state code's events alternate START, STOP per
    subject, behaviour and modifier; other codes are point events."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for e in events:
        if not is_state(e.behaviour):
            out.append(_replace_status(e, "POINT"))
            continue
        key = (e.subject, e.behaviour, e.modifier)
        seen[key] = seen.get(key, 0) + 1
        out.append(_replace_status(e, "START" if seen[key] % 2 else "STOP"))
    return out


def _replace_status(event: Event, status: str) -> Event:
    return Event(event.time, event.subject, event.behaviour, event.modifier, status, event.where)


def _project(path: Path, observation: str) -> Export:
    project = _json(path)
    observations = project.get("observations")
    if not isinstance(observations, dict):
        raise DataError(
            f"{path}: not a BORIS project file (no 'observations' mapping). "
            "Fix: give the .boris file BORIS saved, or a tabular events export."
        )
    if observation not in observations:
        raise _no_observation(path, observation, {str(k) for k in observations})
    ethogram = [b for b in (project.get("behaviors_conf") or {}).values() if isinstance(b, dict)]
    states = {str(b.get("code")) for b in ethogram if "state" in str(b.get("type", "")).lower()}
    chosen = observations[observation]
    offset = _seconds(
        path, f"observation '{observation}'", chosen.get("time offset", 0) or 0, "time offset"
    )
    events = [
        _project_event(path, observation, i, raw, offset)
        for i, raw in enumerate(chosen.get("events") or [])
    ]
    every = [e for o in observations.values() if isinstance(o, dict) for e in o.get("events") or []]
    subjects = {
        str(s.get("name"))
        for s in (project.get("subjects_conf") or {}).values()
        if isinstance(s, dict)
    }
    return Export(
        kind="project file",
        events=_alternate(events, lambda code: code in states),
        behaviours={str(b.get("code")) for b in ethogram}
        | {str(e[2]) for e in every if len(e) > 2},
        subjects=subjects | {str(e[1]) or NO_FOCAL for e in every if len(e) > 2} | {NO_FOCAL},
        from_ethogram=True,
        interval=_interval(path, observation, chosen.get(INTERVAL_KEY)),
    )


def _interval(path: Path, observation: str, raw: Any) -> tuple[float, float | None] | None:
    """BORIS's ``[start, stop]`` (``[0, 0]``, or absent: the whole media; stop 0: to the end)."""
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    where = f"observation '{observation}' {INTERVAL_KEY}"
    start, stop = (_seconds(path, where, value, "time") for value in raw)
    if start == 0 and stop == 0:
        return None
    return start, stop if stop > 0 else None


def _project_event(path: Path, observation: str, i: int, raw: Any, offset: float) -> Event:
    where = f"observation '{observation}' events[{i}]"
    if not isinstance(raw, list) or len(raw) < 3:
        raise DataError(
            f"{path}: {where} is {str(raw)[:60]!r}, not [time, subject, code, modifier, comment]. "
            "Fix: repair the project in BORIS."
        )
    return Event(
        time=_seconds(path, where, raw[0], "time") - offset,
        subject=str(raw[1] or NO_FOCAL),
        behaviour=str(raw[2]),
        modifier=str(raw[3]) if len(raw) > 3 and raw[3] is not None else "",
        status="",
        where=where,
    )


def _json(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        project = json.loads(data.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: line {exc.lineno}: not valid BORIS project JSON ({exc.msg}). "
            "Fix: open and save the project in BORIS again."
        ) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the BORIS project ({exc}).") from None
    if not isinstance(project, dict):
        raise DataError(f"{path}: not a BORIS project file (JSON is not a mapping).")
    return project
