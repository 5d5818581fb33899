"""Per-video summaries (``summary.csv``) on a real label track, checked by hand."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import RAT_MINI

from mbr_search.config.dataset import load_dataset
from mbr_search.data.labels import read_labels
from mbr_search.inference.summary import (
    SUMMARY_COLUMNS,
    summarise,
    summary_csv,
    write_summary_csv,
)

BEHAVIOURS = ("social", "nonsocial", "aggression")


def _rat01(n_frames: int) -> np.ndarray:
    """The first ``n_frames`` of the real Caltech labels of rat01 (30 fps)."""
    video = load_dataset(RAT_MINI).video("rat01")
    assert video.labels is not None
    return read_labels(video.labels, BEHAVIOURS, n_frames=4500, fps=30).values[:n_frames]


def test_summary_of_a_real_track_matches_the_hand_count() -> None:
    # annotations/1_annot.txt, 1-based inclusive, up to frame 1918 (where an aggression
    # bout ends): social 536-961, 1018-1095, 1322-1365, 1398-1528, 1618-1709, 1740-1866
    # (426, 78, 44, 131, 92, 127 frames); nonsocial 962-1017, 1096-1321, 1366-1397,
    # 1710-1739 (56, 226, 32, 30); aggression 1529-1617, 1867-1918 (89, 52).
    rows = {r.behaviour: r for r in summarise("rat01", _rat01(1918), BEHAVIOURS, fps=30.0)}
    social, nonsocial, aggression = rows["social"], rows["nonsocial"], rows["aggression"]
    assert social.video == "rat01" and social.bouts == 6
    assert social.total_s == pytest.approx(898 / 30)
    assert social.percent == pytest.approx(100 * 898 / 1918)
    assert social.mean_bout_s == pytest.approx(898 / 6 / 30)
    assert social.median_bout_s == pytest.approx((92 + 127) / 2 / 30)  # 44 78 92 | 127 131 426
    assert social.latency_s == pytest.approx(535 / 30)  # 0-based first frame 535
    assert (nonsocial.bouts, nonsocial.total_s) == (4, pytest.approx(344 / 30))
    assert nonsocial.median_bout_s == pytest.approx((32 + 56) / 2 / 30)
    assert nonsocial.latency_s == pytest.approx(961 / 30)
    assert aggression.bouts == 2 and aggression.total_s == pytest.approx(141 / 30)
    assert aggression.percent == pytest.approx(100 * 141 / 1918)
    assert aggression.mean_bout_s == aggression.median_bout_s == pytest.approx(70.5 / 30)
    assert aggression.latency_s == pytest.approx(1528 / 30)


def test_summary_csv_leaves_never_empty_and_is_written_atomically(tmp_path: Path) -> None:
    # The first 1,500 frames of rat01 hold no aggression: no bout, no latency (empty cells).
    rows = summarise("rat01", _rat01(1500), BEHAVIOURS, fps=30.0)
    never = rows[2]
    assert never.bouts == 0 and never.total_s == 0.0 and never.percent == 0.0
    assert all(math.isnan(v) for v in (never.mean_bout_s, never.median_bout_s, never.latency_s))
    out = tmp_path / "out"
    path = write_summary_csv(out / "summary.csv", rows, fix="choose another folder")
    assert path.read_text() == summary_csv(rows)
    assert [p.name for p in out.iterdir()] == ["summary.csv"]  # no temp file left
    table = list(csv.DictReader(io.StringIO(path.read_text())))
    assert tuple(table[0]) == SUMMARY_COLUMNS == (
        "video", "behaviour", "total_s", "percent", "bouts", "mean_bout_s", "median_bout_s",
        "latency_s",
    )  # fmt: skip
    assert table[2] == {
        "video": "rat01", "behaviour": "aggression", "total_s": "0.0000", "percent": "0.0000",
        "bouts": "0", "mean_bout_s": "", "median_bout_s": "", "latency_s": "",
    }  # fmt: skip
    assert table[0]["latency_s"] == f"{535 / 30:.4f}" == "17.8333"
