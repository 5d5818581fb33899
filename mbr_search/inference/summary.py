"""Per-video behaviour summaries: the numbers a lab reports for each recording.

For every video and behaviour, from its 0/1 frames at ``fps``: the total time and the
percentage of the video the behaviour takes, the number of bouts (maximal runs of 1s), the
mean and median bout duration and the latency to the first bout (start of the video to the
first frame of the first bout). A bout covers frames ``start..stop-1`` and lasts
``(stop - start) / fps`` seconds. With no bout, the mean, median and latency are empty
(NaN), not 0: "never" is not "at once". Pure: ``write_summary_csv`` is the only writer.
``predict`` writes :func:`summary_csv` (predictions only); ``evaluate`` writes
:func:`paired_summary_csv` for the test videos (the true labels' numbers beside the
prediction's, ``total_s_true, total_s_pred, ...``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np

from mbr_search._atomic import write_text_atomic
from mbr_search.scoring.bouts import bouts


@dataclass(frozen=True)
class BehaviourSummary:
    """One row of ``summary.csv``."""

    video: str
    behaviour: str
    total_s: float
    percent: float
    bouts: int
    mean_bout_s: float
    median_bout_s: float
    latency_s: float


SUMMARY_COLUMNS = tuple(f.name for f in fields(BehaviourSummary))
#: evaluate's ``summary.csv``: each number of the true labels beside the prediction's
PAIRED_COLUMNS = (
    "video", "behaviour",
    *(f"{name}_{side}" for name in SUMMARY_COLUMNS[2:] for side in ("true", "pred")),
)  # fmt: skip


def summarise(
    video: str,
    binary: np.ndarray,
    behaviours: Sequence[str],
    fps: float,
    labelled: np.ndarray | None = None,
) -> list[BehaviourSummary]:
    """One summary per behaviour of ``binary`` ((frames, behaviours) 0/1 at ``fps``).
    ``labelled`` ((frames, behaviours) bool): only those frames count (a partly labelled
    video's true labels and predictions are summarised on the same frames); the percent
    is of them."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    values = np.asarray(binary)
    mask = np.ones(values.shape, dtype=bool) if labelled is None else np.asarray(labelled, bool)
    values = np.where(mask, values, 0)
    rows = []
    for b, behaviour in enumerate(behaviours):
        n_frames = int(mask[:, b].sum())
        runs = bouts(values[:, b])
        durations = (runs[:, 1] - runs[:, 0]) / fps
        frames = int((runs[:, 1] - runs[:, 0]).sum())
        rows.append(
            BehaviourSummary(
                video=video,
                behaviour=behaviour,
                total_s=frames / fps,
                percent=100.0 * frames / n_frames if n_frames else math.nan,
                bouts=len(runs),
                mean_bout_s=float(np.mean(durations)) if len(runs) else math.nan,
                median_bout_s=float(np.median(durations)) if len(runs) else math.nan,
                latency_s=float(runs[0, 0]) / fps if len(runs) else math.nan,
            )
        )
    return rows


def summary_csv(rows: Sequence[BehaviourSummary]) -> str:
    """CSV text: a header of :data:`SUMMARY_COLUMNS`, seconds and percent to 4 decimals."""
    lines = [",".join(SUMMARY_COLUMNS)]
    for row in rows:
        lines.append(",".join(_cell(value) for value in astuple(row)))
    return "\n".join(lines) + "\n"


def paired_summary_csv(true: Sequence[BehaviourSummary], pred: Sequence[BehaviourSummary]) -> str:
    """CSV text of :data:`PAIRED_COLUMNS`: ``true`` and ``pred`` rows of the same videos and
    behaviours in the same order, side by side."""
    lines = [",".join(PAIRED_COLUMNS)]
    for t, p in zip(true, pred, strict=True):
        if (t.video, t.behaviour) != (p.video, p.behaviour):
            raise ValueError(f"rows differ: {t.video}/{t.behaviour} vs {p.video}/{p.behaviour}")
        cells = [t.video, t.behaviour]
        for name in SUMMARY_COLUMNS[2:]:
            cells += [getattr(t, name), getattr(p, name)]
        lines.append(",".join(_cell(value) for value in cells))
    return "\n".join(lines) + "\n"


def write_summary_csv(path: Path, rows: Sequence[BehaviourSummary], *, fix: str) -> Path:
    """Write :func:`summary_csv` to ``path`` atomically; ``fix`` goes into a failure's message."""
    write_text_atomic(path, summary_csv(rows), fix=fix)
    return path


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    text = str(value)
    return f'"{text.replace(chr(34), 2 * chr(34))}"' if any(c in text for c in ',"\n') else text
