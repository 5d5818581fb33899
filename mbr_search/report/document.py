"""The report as data: sections of text, tables and figures, rendered to HTML and Markdown.

Both renderers walk the same :class:`Document`, so ``report.md`` holds exactly the tables of
``report.html`` (figures only exist in the HTML). Numbers keep their full value next to the
rounded text, so a reader (or the browser test) can check the page against the sources.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Digits shown for scores; full precision stays in ``Cell.value``.
DIGITS = 4
MISSING = "—"


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, the exact number behind it and an optional element id."""

    text: str
    value: float | None = None
    id: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A plotly figure, or ``None`` with a note saying why it could not be drawn."""

    key: str
    title: str
    figure: go.Figure | None
    note: str = ""


@dataclass(frozen=True)
class Text:
    """A paragraph; `backticks` become code in both renderers."""

    text: str


Block = Table | Figure | Text


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)


def num(value: object, digits: int = DIGITS, *, id: str | None = None) -> Cell:
    """A number rounded for display; None/NaN show as a dash (undefined, not zero)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return Cell(MISSING, None, id)
    if isinstance(value, float) and not math.isfinite(value):
        return Cell(MISSING, None, id)
    if isinstance(value, int):
        return Cell(str(value), float(value), id)
    return Cell(f"{value:.{digits}f}", float(value), id)


def seconds(value: object, *, id: str | None = None) -> Cell:
    """Seconds with a precision that suits their size."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return Cell(MISSING, None, id)
    text = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return Cell(text, float(value), id)


def txt(value: object, *, id: str | None = None) -> Cell:
    """A value as text (floats in a compact form)."""
    if value is None:
        return Cell(MISSING, None, id)
    if isinstance(value, float):
        return Cell(f"{value:.4g}", value, id)
    return Cell(str(value), None, id)


def row(*cells: object) -> tuple[Cell, ...]:
    return tuple(c if isinstance(c, Cell) else txt(c) for c in cells)


def table(
    key: str, title: str, headers: Sequence[str], rows: Sequence[tuple[Cell, ...]], note: str = ""
) -> Table:
    return Table(key, title, tuple(headers), tuple(rows), note)


def slug(text: str) -> str:
    """An HTML-id-safe form of a behaviour or video name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"
