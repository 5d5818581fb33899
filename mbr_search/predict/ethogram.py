"""The ethogram of one predicted video: behaviours as rows, time on x, bouts as bars.

``predict`` writes it twice per input: ``<name>_ethogram.html`` (plotly, interactive: hover a
bar for its start and duration; it loads ``plotly.min.js`` from its own folder, written once
per ``--out``, so it opens offline) and ``<name>_ethogram.png``. Where true labels are known,
their bouts are drawn beneath the predicted ones.

The PNG is rasterised here from the 0/1 frames, with numpy and zlib only: plotly's own
image export needs kaleido (not installed, and it fetches a browser), and matplotlib is no
dependency of mbr-search. Each behaviour is a band in its colour (the HTML's colours, in
the behaviours' order), predicted bouts in full colour and true bouts beneath in a lighter
shade; tick marks under the strip mark every 10 s (taller every 60 s). The PNG has no text:
the HTML names the rows.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search._atomic import write_bytes_atomic, write_text_atomic
from mbr_search.scoring.bouts import bouts

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
#: PNG geometry in pixels: strip width, band heights, gaps
WIDTH, MARGIN, BAND, TRUE_BAND, GAP, TICKS = 1200, 8, 18, 10, 6, 10
PLOTLY_JS = "plotly.min.js"


def ethogram_figure(
    title: str,
    behaviours: Sequence[str],
    fps: float,
    pred: np.ndarray,
    true: np.ndarray | None = None,
) -> go.Figure:
    """A plotly figure: one row per behaviour (and its true bouts beneath, when given)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    rows: list[str] = []
    for c, b in enumerate(behaviours):
        kinds = [("predicted", pred, 1.0)] + ([("true", true, 0.45)] if true is not None else [])
        for kind, values, opacity in kinds:
            name = f"{b} {kind}" if true is not None else b
            rows.append(name)
            runs = bouts(np.asarray(values)[:, c])
            fig.add_bar(
                y=[name] * len(runs), x=(runs[:, 1] - runs[:, 0]) / fps, base=runs[:, 0] / fps,
                orientation="h", name=name, opacity=opacity,
                marker_color=COLOURS[c % len(COLOURS)],
                hovertemplate="%{base:.1f} s + %{x:.1f} s<extra>" + name + "</extra>",
            )  # fmt: skip
    fig.update_yaxes(categoryorder="array", categoryarray=rows, autorange="reversed")
    fig.update_xaxes(title_text="time (s)", range=[0, len(pred) / fps])
    fig.update_layout(
        title=title, barmode="overlay", height=140 + 32 * len(rows), showlegend=False,
        margin={"l": 160},
    )  # fmt: skip
    return fig


def ethogram_png(
    behaviours: Sequence[str], fps: float, pred: np.ndarray, true: np.ndarray | None = None
) -> bytes:
    """The ethogram as a PNG image (RGB, :data:`WIDTH` pixels of strip)."""
    n = len(pred)
    band = BAND + (TRUE_BAND if true is not None else 0)
    height = 2 * MARGIN + len(behaviours) * (band + GAP) + TICKS
    image = np.full((height, WIDTH + 2 * MARGIN, 3), 255, dtype=np.uint8)
    for c in range(len(behaviours)):
        colour = _rgb(COLOURS[c % len(COLOURS)])
        top = MARGIN + c * (band + GAP)
        image[top + band, MARGIN : MARGIN + WIDTH] = 225  # the row's baseline
        _paint(image, top, BAND, _columns(np.asarray(pred)[:, c]), colour)
        if true is not None:
            light = (255 - 0.45 * (255 - colour)).astype(np.uint8)
            _paint(image, top + BAND, TRUE_BAND, _columns(np.asarray(true)[:, c]), light)
    axis = height - MARGIN - TICKS
    for second in range(0, int(n / fps) + 1, 10):
        x = MARGIN + min(WIDTH - 1, round(second * fps / max(n, 1) * WIDTH))
        image[axis : axis + (TICKS if second % 60 == 0 else TICKS // 2), x] = 90
    return encode_png(image)


def _columns(values: np.ndarray) -> np.ndarray:
    """(WIDTH,) bool: a pixel column is on when any of its frames is, so no bout vanishes
    (with fewer frames than pixels, a column shows the frame it falls in)."""
    on = np.asarray(values) > 0
    n = len(on)
    start = (np.arange(WIDTH) * n) // WIDTH
    stop = np.maximum(start + 1, (np.arange(1, WIDTH + 1) * n) // WIDTH)
    total = np.concatenate([[0], np.cumsum(on)])
    return (total[np.minimum(stop, n)] - total[np.minimum(start, n)]) > 0


def _paint(image: np.ndarray, top: int, height: int, on: np.ndarray, colour: np.ndarray) -> None:
    strip = image[top : top + height, MARGIN : MARGIN + WIDTH]
    strip[:, on] = colour


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def encode_png(image: np.ndarray) -> bytes:
    """An (height, width, 3) uint8 array as PNG bytes (8-bit RGB, no filter, zlib level 9)."""
    height, width, _ = image.shape
    raw = np.concatenate(
        [np.zeros((height, 1), dtype=np.uint8), image.reshape(height, -1)], axis=1
    ).tobytes()  # each scanline starts with filter type 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_ethogram(
    stem: Path,
    behaviours: Sequence[str],
    fps: float,
    pred: np.ndarray,
    true: np.ndarray | None = None,
    *,
    fix: str,
) -> tuple[Path, Path]:
    """``<stem>_ethogram.html`` and ``_ethogram.png``, written atomically; ``plotly.min.js``
    beside them once (the HTML refers to it, so it needs no network)."""
    from plotly.offline import get_plotlyjs

    script = stem.parent / PLOTLY_JS
    if not script.is_file():
        write_text_atomic(script, get_plotlyjs(), fix=fix)
    title = f"Ethogram of {stem.name}" + (": predicted and true" if true is not None else "")
    fig = ethogram_figure(title, behaviours, fps, pred, true)
    html = stem.with_name(f"{stem.name}_ethogram.html")
    write_text_atomic(html, fig.to_html(include_plotlyjs="directory", full_html=True), fix=fix)
    png = stem.with_name(f"{stem.name}_ethogram.png")
    write_bytes_atomic(png, ethogram_png(behaviours, fps, pred, true), fix=fix)
    return html, png
