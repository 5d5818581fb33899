"""Per-video summaries and ethograms out of ``evaluate`` and ``predict``, and the report's
summary and importance sections (the shared evaluated study of tests/_evaluated.py)."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _evaluated import Evaluated, searched_study
from conftest import run_cli

from mbr_search.evaluate.results import RESULTS_FILE, Results
from mbr_search.inference.summary import PAIRED_COLUMNS, paired_summary_csv, summarise
from mbr_search.predict.ethogram import BAND, MARGIN, ethogram_png

BEHAVIOURS = ["social", "nonsocial", "aggression"]


def test_paired_summary_matches_a_hand_count() -> None:
    # 2 fps, 12 frames (6 s). True: a = frames 2-3 and 6-8 (bouts of 1 s and 1.5 s), b never.
    # Predicted: a = frames 3-8 (one 3 s bout from 1.5 s), b = frame 11 (0.5 s from 5.5 s).
    true = np.zeros((12, 2), np.uint8)
    true[2:4, 0] = true[6:9, 0] = 1
    pred = np.zeros((12, 2), np.uint8)
    pred[3:9, 0] = 1
    pred[11, 1] = 1
    text = paired_summary_csv(
        summarise("v", true, ["a", "b"], fps=2.0), summarise("v", pred, ["a", "b"], fps=2.0)
    )
    assert text.splitlines() == [
        ",".join(PAIRED_COLUMNS),
        # total_s, percent, bouts, mean, median, latency: true then predicted
        "v,a,2.5000,3.0000,41.6667,50.0000,2,1,1.2500,3.0000,1.2500,3.0000,1.0000,1.5000",
        "v,b,0.0000,0.5000,0.0000,8.3333,0,1,,0.5000,,0.5000,,5.5000",
    ]
    assert PAIRED_COLUMNS[:6] == (
        "video", "behaviour", "total_s_true", "total_s_pred", "percent_true", "percent_pred",
    )  # fmt: skip


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode the 8-bit RGB, filter-0 PNG that ethogram_png writes (checks its chunks)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(height, width, 3)


def test_the_ethogram_png_draws_each_bout_where_it_is() -> None:
    pred = np.zeros((600, 2), np.uint8)
    pred[150:300, 0] = 1  # a quarter to a half of the video
    true = np.zeros_like(pred)
    true[450:600, 1] = 1
    image = _png_pixels(ethogram_png(["a", "b"], 10.0, pred, true))
    strip = image[:, MARGIN:-MARGIN]
    width = strip.shape[1]
    row_a = strip[MARGIN + BAND // 2]  # middle of behaviour a's predicted band
    coloured = np.flatnonzero((row_a != 255).any(axis=1))
    assert abs(coloured[0] - width / 4) <= 1 and abs(coloured[-1] - width / 2) <= 1
    assert tuple(row_a[width // 3]) == (0x1F, 0x77, 0xB4)  # behaviour a's colour
    assert (strip[MARGIN + BAND // 2, :, :] == 255).all(axis=1)[: width // 4 - 1].all()
    # behaviour b: nothing predicted, its true bout beneath in a lighter red, last quarter
    top_b = MARGIN + (BAND + 10 + 6)
    assert (strip[top_b + BAND // 2] == 255).all()
    below = strip[top_b + BAND + 4]
    lit = np.flatnonzero((below != 255).any(axis=1))
    assert abs(lit[0] - 3 * width / 4) <= 1 and lit[-1] == width - 1
    assert below[lit[0]][0] > below[lit[0]][1]  # reddish


def test_predict_outputs_include_the_ethogram(tmp_path: Path) -> None:
    from mbr_search.predict import _write_outputs

    post = np.zeros((300, 3), np.uint8)
    post[30:90, 0] = 1
    probs = post.astype(np.float32)
    files, summary = _write_outputs(tmp_path / "clip", BEHAVIOURS, 10.0, probs, post, post, None)
    assert files.ethogram_png is not None and files.ethogram_html is not None
    png = files.ethogram_png.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 500
    assert _png_pixels(png).shape[1] > 1000
    html = files.ethogram_html.read_text()
    assert 'src="plotly.min.js"' in html and "social" in html
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000  # opens offline
    assert summary[0].bouts == 1 and summary[0].latency_s == pytest.approx(3.0)


@pytest.mark.slow
def test_evaluate_writes_test_summaries_true_beside_predicted(evaluated: Evaluated) -> None:
    results = evaluated.results
    table = pd.read_csv(evaluated.out / "summary.csv")
    assert tuple(table.columns) == PAIRED_COLUMNS
    tests = results["dataset"]["test_videos"]
    assert sorted(set(table["video"])) == sorted(tests) and len(table) == 3 * len(tests)
    chosen = results["selected_ensemble"]  # model/ is the selected ensemble
    assert results["summaries"]["model"] == "selected ensemble"
    for video in tests:
        frames = pd.read_csv(evaluated.out / chosen["test"]["files"][video])
        for b in BEHAVIOURS:
            got = table[(table["video"] == video) & (table["behaviour"] == b)].iloc[0]
            assert got["total_s_true"] == pytest.approx(frames[f"{b}_true"].sum() / 10, abs=1e-4)
            assert got["total_s_pred"] == pytest.approx(frames[f"{b}_pred"].sum() / 10, abs=1e-4)
            starts = np.flatnonzero(np.diff(np.r_[0, frames[f"{b}_true"].to_numpy()]) == 1)
            assert got["bouts_true"] == len(starts)
    first = results["summaries"]["rows"][0]
    row = table.iloc[0]
    assert (first["video"], first["behaviour"]) == (row["video"], row["behaviour"])
    assert first["pred"]["bouts"] == row["bouts_pred"]
    # The shared study's winner is a (tiny) LSTM: cheap, so it gets its importance too.
    importance = results["importance"]
    assert importance["family"] == "lstm" and importance["skipped"] is None
    assert importance["trial"] == results["trials"][0]["number"]
    groups = {g["group"]: g for g in importance["groups"]}
    assert set(groups) == {
        "posture", "distances", "speed", "angles", "position", "missing keypoints",
        "pair features",
    }  # fmt: skip
    assert sum(g["columns"] for g in groups.values()) == 94
    assert all(set(g["drop"]) == set(BEHAVIOURS) for g in groups.values())
    # A results.json from before these keys existed still loads.
    older = {k: v for k, v in results.items() if k not in ("summaries", "importance")}
    loaded = Results.from_json(older)
    assert loaded.summaries is None and loaded.importance is None


@pytest.mark.slow
def test_report_shows_summaries_and_importance(evaluated: Evaluated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(evaluated.out, out)
    doc = json.loads((out / RESULTS_FILE).read_text())
    # a computed importance (as a gbdt winner gets), planted in the copy
    doc["importance"] = {
        "trial": doc["trials"][0]["number"], "family": "gbdt", "repeats": 3, "seed": 0,
        "baseline": dict.fromkeys(BEHAVIOURS, 0.5), "seconds": 4.0, "fit_seconds": 1.0,
        "skipped": None,
        "groups": [
            {"group": "speed", "columns": 18, "drop": {"social": 0.25, "nonsocial": 0.125,
             "aggression": None}, "std": dict.fromkeys(BEHAVIOURS, 0.01)},
            {"group": "posture", "columns": 20, "drop": dict.fromkeys(BEHAVIOURS, 0.0625),
             "std": dict.fromkeys(BEHAVIOURS, 0.0)},
        ],
    }  # fmt: skip
    (out / RESULTS_FILE).write_text(json.dumps(doc))
    searched = searched_study(evaluated.base)
    ran = run_cli("report", str(searched.study), "--storage", searched.storage, "--out", str(out))
    assert ran.returncode == 0, ran.stderr
    md = (out / "report.md").read_text()
    video = doc["dataset"]["test_videos"][0]
    row = doc["summaries"]["rows"][0]
    lines = md.splitlines()
    title = lines.index(f"**{row['behaviour']}: true vs predicted per test video**")
    line = next(x for x in lines[title:] if x.startswith(f"| {video} |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1:3] == [f"{row['true']['total_s']:.2f}", f"{row['pred']['total_s']:.2f}"]
    assert cells[5:7] == [str(row["true"]["bouts"]), str(row["pred"]["bouts"])]
    assert "| speed | 18 | 0.2500 ± 0.0100 | 0.1250 ± 0.0100 | — |" in md
    html = (out / "report.html").read_text()
    assert 'id="plot-importance-figure"' in html
    assert f'id="summary-social-{video}-total-true"' in html
