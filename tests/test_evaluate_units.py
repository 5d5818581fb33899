"""Thresholds, retraining epochs, human ceiling (real 3-rater data) and the BORIS export."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from conftest import STURMAN_MINI

from mbr_search.evaluate.retrain import retrain_epochs
from mbr_search.evaluate.scores.ceiling import model_vs_raters, pairwise_f1
from mbr_search.evaluate.scores.decisions import decide, score_set
from mbr_search.predict.boris import boris_events, bout_rows, write_boris_xlsx
from mbr_search.scoring.postprocess import PostProcess
from mbr_search.scoring.thresholds import DEFAULT_THRESHOLD, choose_thresholds, max_f1_threshold


def test_max_f1_threshold_on_a_hand_example() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.6, 0.55, 0.9, 0.2, 0.3])
    # t=0.9: F1 .5; t=0.6: P 1/2 R 1/3 ...; t=0.55: tp2 fp1 fn1 -> .667; t=0.3: tp3 fp1 -> .857
    assert max_f1_threshold(y, p) == pytest.approx(0.3)
    assert max_f1_threshold(np.zeros(4), np.linspace(0, 1, 4)) == DEFAULT_THRESHOLD


def test_thresholds_pool_the_out_of_fold_videos() -> None:
    a = (np.array([[1], [0]]), np.array([[0.8], [0.7]]))
    b = (np.array([[1], [0]]), np.array([[0.75], [0.1]]))
    # pooled: 0.8(+) 0.75(+) 0.7(-) 0.1(-): threshold 0.75 separates perfectly
    assert choose_thresholds([a[0], b[0]], [a[1], b[1]], ["x"]) == {"x": pytest.approx(0.75)}


def test_decisions_depend_only_on_out_of_fold_data() -> None:
    rng = np.random.default_rng(1)
    behaviours = ["x", "y"]
    oof_ids, test_ids = ("a", "b"), ("t1", "t2")
    # One labels mapping for every video, train and test, as a caller holding the dataset has.
    labels = {v: (rng.random((300, 2)) < 0.2).astype(np.uint8) for v in oof_ids + test_ids}
    probs = {v: np.clip(labels[v] * 0.5 + rng.random((300, 2)) * 0.6, 0, 1) for v in labels}
    oof = {v: probs[v] for v in oof_ids}
    test = {v: probs[v] for v in test_ids}
    first = decide(labels, oof, behaviours, fps=10.0)
    again = decide({k: v.copy() for k, v in labels.items()}, oof, behaviours, fps=10.0)
    assert first == again
    # Scrambled test labels and test probabilities change nothing that is decided ...
    scrambled = {
        **labels,
        "t1": 1 - labels["t1"],
        "t2": rng.permutation(labels["t2"]).astype(np.uint8),
    }
    scrambled_test = {v: rng.random((300, 2)) for v in test_ids}
    after = decide(scrambled, oof, behaviours, fps=10.0)
    assert after.thresholds == first.thresholds and after.postprocess == first.postprocess
    # ... while they do reach the test scores (so the scrambling was not a no-op).
    scored = score_set({v: labels[v] for v in test_ids}, test, first, behaviours, fps=10.0)
    rescored = score_set(
        {v: scrambled[v] for v in test_ids}, scrambled_test, after, behaviours, fps=10.0
    )
    assert scored.post != rescored.post and scored.raw != rescored.raw
    # Out-of-fold labels do decide: the thresholds ...
    flipped = {k: 1 - v for k, v in labels.items()}
    assert decide(flipped, oof, behaviours, fps=10.0).thresholds != first.thresholds


def test_post_processing_follows_the_out_of_fold_labels() -> None:
    """Same out-of-fold probabilities (holes every 4th frame inside 3 s bouts), two label
    sets: whole bouts call for a closing, the holey bouts themselves for none."""
    whole = np.zeros(300, dtype=np.uint8)
    for start in range(10, 270, 60):
        whole[start : start + 30] = 1
    holey = whole.copy()
    holey[::4] = 0
    p = np.where(holey == 1, 0.9, 0.1)
    oof = {v: np.stack([p, p], axis=1) for v in ("a", "b")}
    as_bouts = decide({v: np.stack([whole, whole], 1) for v in oof}, oof, ["x", "y"], fps=10.0)
    as_holes = decide({v: np.stack([holey, holey], 1) for v in oof}, oof, ["x", "y"], fps=10.0)
    assert as_bouts.thresholds == as_holes.thresholds == {"x": 0.9, "y": 0.9}
    assert as_bouts.postprocess["x"].closing >= 2 and as_bouts.postprocess == {
        "x": as_bouts.postprocess["x"], "y": as_bouts.postprocess["x"]
    }  # fmt: skip
    assert as_holes.postprocess == {"x": PostProcess(), "y": PostProcess()}


def test_retrain_epochs_take_the_median_best_epoch_per_model() -> None:
    best = {"0": {"a": 3, "b": 8}, "1": {"a": 5, "b": 2}, "2": {"a": 4}}
    assert retrain_epochs(best, ["a", "b", "c"], max_epochs=50) == {"a": 4, "b": 5, "c": 4}
    assert retrain_epochs({}, ["all"], max_epochs=7) == {"all": 7}


def test_human_ceiling_on_the_three_raters_of_the_sturman_excerpt(tmp_path: Path) -> None:
    from sklearn.metrics import f1_score

    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split

    study_file = tmp_path / "s.yaml"
    study_file.write_text(
        f"name: s\ndataset: {STURMAN_MINI}\nbehaviours: [wall_rearing, mid_rearing]\nfps: 10\n"
        "features: {backbone: pose}\nspace: lstm_pose\n"
    )
    videos = load_split(load_study(str(study_file)), "train")
    per_rater = [v.per_rater for v in videos]
    assert all(set(p) == {"Jin", "Furkan", "Oliver"} for p in per_rater)
    ceiling = pairwise_f1(per_rater, ["wall_rearing", "mid_rearing"])
    for c, b in enumerate(["wall_rearing", "mid_rearing"]):
        pairs = ceiling[b]["pairs"]
        assert set(pairs) == {"Furkan~Jin", "Furkan~Oliver", "Jin~Oliver"}
        for r1, r2 in (("Furkan", "Jin"), ("Jin", "Oliver")):
            y1 = np.concatenate([p[r1][:, c] for p in per_rater])
            y2 = np.concatenate([p[r2][:, c] for p in per_rater])
            assert pairs[f"{r1}~{r2}"] == pytest.approx(f1_score(y1, y2))
        assert ceiling[b]["mean_f1"] == pytest.approx(np.mean(list(pairs.values())))
    # supported rearing is easier to agree on than unsupported rearing (and well above 0)
    assert ceiling["wall_rearing"]["mean_f1"] > ceiling["mid_rearing"]["mean_f1"] > 0.5
    # a "model" that copies one rater agrees with that rater perfectly
    copy = [p["Jin"] for p in per_rater]
    beside = model_vs_raters(per_rater, copy, ["wall_rearing", "mid_rearing"])
    assert beside["wall_rearing"]["vs_raters"]["Jin"] == pytest.approx(1.0)


def test_boris_spreadsheet_has_the_import_header_and_a_start_stop_pair_per_bout(
    tmp_path: Path,
) -> None:
    binary = np.zeros((30, 2), dtype=np.uint8)
    binary[5:10, 0] = 1
    binary[10:12, 1] = 1
    binary[25:30, 0] = 1
    rows = bout_rows(binary, ["rear", "groom"], fps=10.0)
    assert rows == [
        ("rear", 5, 10, 0.5, 1.0),
        ("groom", 10, 12, 1.0, 1.2),
        ("rear", 25, 30, 2.5, 3.0),
    ]
    events = boris_events(rows)
    assert [(t, code) for t, _s, code, _m, _c in events] == [
        (0.5, "rear"), (1.0, "rear"), (1.0, "groom"), (1.2, "groom"), (2.5, "rear"), (3.0, "rear"),
    ]  # fmt: skip
    path = write_boris_xlsx(tmp_path / "b.xlsx", events)
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as zf:
        assert "[Content_Types].xml" in zf.namelist()
        sheet = ElementTree.fromstring(zf.read("xl/worksheets/sheet1.xml"))
    table = []
    for row in sheet.iterfind(".//m:row", ns):
        cells = {}
        for cell in row.iterfind("m:c", ns):
            col = "".join(ch for ch in cell.get("r", "") if ch.isalpha())
            text = cell.findtext(".//m:t", namespaces=ns) or cell.findtext("m:v", namespaces=ns)
            cells[col] = text
        table.append(cells)
    assert table[0] == {"A": "time", "B": "subject", "C": "code", "D": "modifier", "E": "comment"}
    assert [(float(r["A"] or "nan"), r["C"]) for r in table[1:]] == [
        (t, c) for t, _s, c, _m, _x in events
    ]
    # BORIS reads the sheet with pandas + openpyxl (a dev dependency): do the same.
    frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    assert len(frame) == len(events)
    assert [c.upper() for c in frame.columns] == ["TIME", "SUBJECT", "CODE", "MODIFIER", "COMMENT"]
    assert frame["time"].tolist() == [t for t, *_ in events]
