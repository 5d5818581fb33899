"""evaluate's ``summary.csv``: per test video and behaviour, the numbers a lab reports
(:mod:`mbr_search.inference.summary`) of the true labels beside those of the model that
``predict`` gets (``model/``), after its post-processing.

They are computed from the per-frame CSVs evaluate has just written for that model
(``<b>_true`` and ``<b>_pred`` columns): the file a reader can check them against, and
the one place the selected ensemble's post-processed test labels are kept. Of a partly
labelled video, both sides count its labelled frames only (an empty ``<b>_true``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mbr_search._atomic import write_text_atomic
from mbr_search.errors import DataError
from mbr_search.evaluate.results.metrics import ScoredBlock
from mbr_search.evaluate.results.summaries import SummaryNumbers, SummaryPair, TestSummaries
from mbr_search.inference.summary import BehaviourSummary, paired_summary_csv, summarise

SUMMARY_FILE = "summary.csv"


def write_test_summaries(
    out_dir: Path, model: str, block: ScoredBlock, behaviours: Sequence[str], fps: float
) -> TestSummaries:
    """Write ``out_dir/summary.csv`` for the test videos of ``block`` (the scored test
    block of the model called ``model``); returns its results.json entry."""
    true_rows: list[BehaviourSummary] = []
    pred_rows: list[BehaviourSummary] = []
    for video, relative in block.files.items():
        true, pred = _frames(out_dir / relative, behaviours)
        labelled = np.isfinite(true)  # an empty b_true cell: a frame nobody labelled
        true = np.nan_to_num(true, nan=0.0)
        true_rows += summarise(video, true, behaviours, fps, labelled)
        pred_rows += summarise(video, pred, behaviours, fps, labelled)
    write_text_atomic(
        out_dir / SUMMARY_FILE,
        paired_summary_csv(true_rows, pred_rows),
        fix="free disk space or choose another --out",
    )
    rows = tuple(
        SummaryPair(t.video, t.behaviour, SummaryNumbers.of(t), SummaryNumbers.of(p))
        for t, p in zip(true_rows, pred_rows, strict=True)
    )
    return TestSummaries(model=model, file=SUMMARY_FILE, rows=rows)


def _frames(path: Path, behaviours: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(true, post-processed predicted) frames of one per-frame CSV: float, 0/1 and NaN
    where the true label is empty (not labelled)."""
    import pandas as pd

    columns = [f"{b}_{side}" for b in behaviours for side in ("true", "pred")]
    try:
        frame = pd.read_csv(path, usecols=columns)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the per-frame CSV just written ({exc})") from None
    true = np.stack([frame[f"{b}_true"].to_numpy(np.float64) for b in behaviours], axis=1)
    pred = np.stack([frame[f"{b}_pred"].to_numpy() for b in behaviours], axis=1)
    return true, pred
