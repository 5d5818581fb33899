"""evaluate's numbers skip unlabelled frames (issue 23): thresholds, post-processing,
metrics (frame and bout level), the human ceiling, the per-frame CSV and the summaries.

Each is checked against an oracle: the same videos with their unlabelled tail cut off
(a tail, so no bout is joined by the cut), and against the labels the tail would have had
(which must change the numbers, or the check could not fail).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mbr_search.evaluate.results.metrics import Metrics, ScoredBlock
from mbr_search.evaluate.scores import ceiling
from mbr_search.evaluate.scores.decisions import Decisions, decide, score_set
from mbr_search.evaluate.summaries_out import write_test_summaries
from mbr_search.inference.frames_csv import write_frames_csv
from mbr_search.inference.summary import summarise
from mbr_search.scoring import postprocess
from mbr_search.scoring.labelled import UNLABELLED

BEHAVIOURS = ("groom", "rear")
FPS = 10.0
N, LABELLED = 900, 600  # frames per video; the first LABELLED are labelled


def _videos(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Three videos of bouty 0/1 truth and probabilities that follow it noisily."""
    rng = np.random.default_rng(seed)
    labels, probs = {}, {}
    for v in ("a", "b", "c"):
        y = np.zeros((N, len(BEHAVIOURS)), dtype=np.int8)
        for c in range(len(BEHAVIOURS)):
            for start in rng.integers(0, N - 40, size=12):
                y[start : start + rng.integers(5, 40), c] = 1
        labels[v] = y
        probs[v] = np.clip(0.6 * y + rng.normal(0.2, 0.2, y.shape), 0, 1).astype(np.float32)
    return labels, probs


def _masked(labels: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for v, y in labels.items():
        y = y.copy()
        y[LABELLED:] = UNLABELLED
        out[v] = y
    return out


def _head(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {v: a[:LABELLED] for v, a in arrays.items()}


def _block(files: dict[str, str]) -> ScoredBlock:
    empty = Metrics(pooled={}, per_video={})
    return ScoredBlock(raw=empty, post=empty, files=files)


def _raw(labels: dict[str, np.ndarray], probs: dict[str, np.ndarray], d: Decisions) -> object:
    return score_set(labels, probs, d, BEHAVIOURS, FPS).raw


def test_thresholds_postprocessing_and_metrics_skip_unlabelled_frames() -> None:
    truth, probs = _videos()
    masked = _masked(truth)
    chosen = decide(masked, probs, BEHAVIOURS, FPS)
    cut = decide(_head(truth), _head(probs), BEHAVIOURS, FPS)
    assert chosen == cut  # thresholds and post-processing from the labelled frames only
    # raw decisions are per frame: scoring the whole videos equals scoring the labelled head
    assert _raw(masked, probs, chosen) == _raw(_head(truth), _head(probs), chosen)
    # the labels the tail would have had do change them: the check can fail
    assert _raw(truth, probs, chosen) != _raw(masked, probs, chosen)
    full = decide(truth, probs, BEHAVIOURS, FPS)
    assert full.thresholds != chosen.thresholds or full.postprocess != chosen.postprocess


def test_postprocessing_objective_cuts_bouts_where_the_labels_stop() -> None:
    y = np.array([1, 1, 1, 0, UNLABELLED, UNLABELLED, 0, 1, 1], dtype=np.int8)
    p = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1], dtype=np.uint8)
    # two true bouts, two predicted bouts inside the labelled stretches: perfect
    assert postprocess.objective([y], [p], 0.5) == pytest.approx(1.0)


def test_human_ceiling_counts_frames_both_raters_labelled() -> None:
    truth, _ = _videos()
    a, b = truth["a"], truth["b"]
    a_masked = a.copy()
    a_masked[LABELLED:] = UNLABELLED
    masked = ceiling.pairwise_f1([{"A": a_masked, "B": b}], BEHAVIOURS)
    cut = ceiling.pairwise_f1([{"A": a[:LABELLED], "B": b[:LABELLED]}], BEHAVIOURS)
    assert masked == cut
    assert masked != ceiling.pairwise_f1([{"A": a, "B": b}], BEHAVIOURS)
    versus = ceiling.model_vs_raters([{"A": a_masked}], [b], BEHAVIOURS)
    assert versus == ceiling.model_vs_raters([{"A": a[:LABELLED]}], [b[:LABELLED]], BEHAVIOURS)


def test_per_frame_csv_leaves_unlabelled_empty_and_summaries_use_labelled_frames(
    tmp_path: Path,
) -> None:
    truth, probs = _videos()
    y, p = _masked(truth)["a"], probs["a"]
    pred = (p >= 0.5).astype(np.uint8)
    csv = write_frames_csv(tmp_path / "a.csv", BEHAVIOURS, FPS, p, pred, pred, labels=y)
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    row = dict(zip(header, lines[1 + LABELLED].split(","), strict=True))
    assert row["groom_true"] == "" and row["rear_true"] == ""  # not "0": not a negative
    labelled = np.arange(N)[:, None] < LABELLED
    got = summarise("a", np.where(labelled, pred, 0), BEHAVIOURS, FPS, np.repeat(labelled, 2, 1))
    want = summarise("a", pred[:LABELLED], BEHAVIOURS, FPS)
    assert got == want
    summaries = write_test_summaries(tmp_path, "m", _block({"a": "a.csv"}), BEHAVIOURS, FPS)
    true_rows = summarise("a", truth["a"][:LABELLED], BEHAVIOURS, FPS)
    assert [r.true.total_s for r in summaries.rows] == [t.total_s for t in true_rows]
    assert [r.pred.total_s for r in summaries.rows] == [w.total_s for w in want]
