"""BORIS events as per-frame labels, with the observed span: ``data/boris.py`` reads the
files, this module turns one observation's events into frames.

A state event covers the frames from its START's nearest frame up to, not including, its
STOP's nearest frame (at least one frame); a point event is one frame. When the
observation codes the state behaviour ``observed`` (``labels.observed``; the sheets
``suggest`` writes hold one such state per suggested segment), or a project limits the
observation to part of the media (BORIS's ``observation time interval``), only the frames
inside those spans were labelled: every other frame is UNLABELLED, and an event reaching
outside them is refused (the observed span is shorter than the events: one of them is wrong).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from mbr_search.data.boris import INTERVAL_KEY, NO_FOCAL, Event, check_names, load_export
from mbr_search.errors import DataError
from mbr_search.scoring.labelled import LABEL_DTYPE, UNLABELLED

_UNPAIRED_FIX = "in BORIS, Observations > Check/fix unpaired events, then export again"
#: (behaviour, first frame, stop frame exclusive, the event that opened it)
Span = tuple[str, int, int, Event]


def read_boris(
    path: Path,
    names: Sequence[tuple[str, str]],
    *,
    observation: str,
    subject: str | None,
    absent: Sequence[str],
    n_frames: int,
    fps: float,
    sep: str | None = None,
    observed: str | None = None,
) -> np.ndarray:
    """``(n_frames, len(names))`` labels of one observation of a BORIS file: 1, 0, or
    UNLABELLED outside the spans of the ``observed`` state when the observation codes it.

    ``names`` pairs each study behaviour with its name in the file; ``subject`` keeps one
    subject's events (None: every subject's); ``absent`` lists study behaviours that may
    be missing from a tabular export (never coded there), read as 0.
    """
    export = load_export(path, observation, sep)
    check_names(path, export, names, absent)
    if subject is not None and subject not in export.subjects:
        raise DataError(
            f"{path}: subject '{subject}' (labels.subject) is not in this BORIS {export.kind}; "
            f"its subjects are {sorted(export.subjects)}. Fix: set labels.subject to one of "
            "those, or drop the key to use every subject's events."
        )
    wanted = {file for _, file in names}
    out = np.zeros((n_frames, len(names)), dtype=LABEL_DTYPE)
    spans = _spans(path, export.events, wanted, subject, fps)
    for behaviour, first, stop, _event in spans:
        first, stop = max(0, first), min(n_frames, stop)
        if stop > first:
            for b, (_, file) in enumerate(names):
                if file == behaviour:
                    out[first:stop, b] = 1
    if observed is not None:
        seen = [] if observed in wanted else _spans(path, export.events, {observed}, None, fps)
        if export.interval is not None:
            seen.append(_interval_span(export.interval, observation, n_frames, fps))
        _apply_observed(path, out, spans, seen)
    return out


def _interval_span(
    interval: tuple[float, float | None], observation: str, n_frames: int, fps: float
) -> Span:
    """A project's observation time interval as one observed span."""
    start, stop = interval
    last = n_frames if stop is None else _frame(stop, fps)
    marker = Event(start, NO_FOCAL, INTERVAL_KEY, "", "START", f"observation '{observation}'")
    return INTERVAL_KEY, _frame(start, fps), last, marker


def _apply_observed(path: Path, out: np.ndarray, spans: list[Span], observed: list[Span]) -> None:
    """Frames outside every ``observed`` span become UNLABELLED; none: all were observed."""
    if not observed:
        return
    inside = np.zeros(len(out) + 1, dtype=bool)
    for _, first, stop, _event in observed:
        inside[max(0, first) : max(0, min(len(out), stop))] = True
    for behaviour, first, stop, event in spans:
        lo, hi = max(0, first), max(0, min(len(out), stop))
        if hi > lo and not inside[lo:hi].all():
            codes = " and ".join(sorted({f"'{span[0]}'" for span in observed}))
            who = f", subject '{event.subject}'" if event.subject != NO_FOCAL else ""
            raise DataError(
                f"{path}: {event.where}: the event '{behaviour}'{who} at {event.time:g} s "
                f"reaches outside the observed spans ({codes}): the observation is shorter "
                f"than its events. Fix: widen the observed span ({codes}) to cover the "
                "event, or correct or delete the event."
            )
    out[~inside[: len(out)]] = UNLABELLED


def _frame(seconds: float, fps: float) -> int:
    return math.floor(seconds * fps + 0.5)


def _spans(
    path: Path, events: list[Event], wanted: set[str], subject: str | None, fps: float
) -> list[Span]:
    """Every wanted event or state as a :data:`Span`."""
    opened: dict[tuple[str, str, str], Event] = {}
    spans: list[Span] = []
    for event in events:
        if event.behaviour not in wanted or subject not in (None, event.subject):
            continue
        key = (event.subject, event.behaviour, event.modifier)
        frame = _frame(event.time, fps)
        if event.status == "POINT":
            spans.append((event.behaviour, frame, frame + 1, event))
        elif event.status == "START":
            if key in opened:
                _unpaired(
                    path, event, f"starts again before the START at {opened[key].where} stopped"
                )
            opened[key] = event
        else:
            start = opened.pop(key, None)
            if start is None:
                _unpaired(path, event, "is a STOP with no START before it")
            if event.time < start.time:
                _unpaired(path, event, f"stops before its START ({start.where}, {start.time:g} s)")
            first = _frame(start.time, fps)
            spans.append((event.behaviour, first, max(frame, first + 1), start))
    if opened:
        last = min(opened.values(), key=lambda e: e.time)
        _unpaired(path, last, "is a START with no STOP after it")
    return spans


def _unpaired(path: Path, event: Event, what: str) -> NoReturn:
    who = f", subject '{event.subject}'" if event.subject != NO_FOCAL else ""
    raise DataError(
        f"{path}: {event.where}: the event '{event.behaviour}'{who} at {event.time:g} s {what}; "
        f"no event is skipped. Fix: {_UNPAIRED_FIX}, or correct that row."
    )
