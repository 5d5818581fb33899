"""Frame and bout metrics against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mbr_search.evaluate.scores.metrics import Scored, entry, score
from mbr_search.scoring.bouts import bouts, segment_matches, segmental_scores


def test_confusion_and_frame_scores_match_a_hand_count() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0, 0])
    p = np.array([1, 0, 1, 1, 0, 0, 0, 0, 0, 0])
    # tp = frames 0, 2; fn = 1, 7; fp = 3; tn = 4, 5, 6, 8, 9
    e = entry(y, p.astype(float), p, fps=10.0)
    assert e.confusion == ((5, 1), (2, 2))
    assert e.accuracy == pytest.approx(7 / 10)
    assert e.precision == pytest.approx(2 / 3)
    assert e.recall == pytest.approx(2 / 4)
    assert e.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))
    assert e.positives == 4 and e.frames == 10
    assert e.seconds_true == pytest.approx(0.4) and e.seconds_pred == pytest.approx(0.3)
    # true bouts [0,3) and [7,8); predicted bouts [0,1) and [2,4)
    assert e.bouts_true == 2 and e.bouts_pred == 2


def test_undefined_scores_are_none_not_zero() -> None:
    y = np.zeros(6, dtype=int)
    p = np.zeros(6, dtype=int)
    e = entry(y, np.full(6, 0.2), p, fps=5.0)
    assert e.precision is None and e.recall is None and e.f1 is None
    assert e.pr_auc is None and e.segmental_f1 is None
    assert e.accuracy == 1.0 and e.confusion == ((6, 0), (0, 0))


def test_pr_auc_is_average_precision_of_the_probabilities() -> None:
    y = np.array([0, 1, 0, 1])
    probs = np.array([0.1, 0.4, 0.35, 0.8])
    # ranking 0.8(+), 0.4(+), 0.35(-), 0.1(-): both positives first -> AP = 1
    assert entry(y, probs, probs > 0.5, fps=1.0).pr_auc == pytest.approx(1.0)
    probs = np.array([0.9, 0.4, 0.35, 0.8])  # a negative ranked first: AP = (1/2 + 2/3) / 2
    assert entry(y, probs, probs > 0.5, fps=1.0).pr_auc == pytest.approx((0.5 + 2 / 3) / 2)


def test_bouts_are_maximal_runs_with_exclusive_stops() -> None:
    assert bouts(np.array([0, 1, 1, 0, 1])).tolist() == [[1, 3], [4, 5]]
    assert bouts(np.array([], dtype=int)).shape == (0, 2)
    assert bouts(np.ones(3)).tolist() == [[0, 3]]


def test_segmental_f1_on_known_bouts() -> None:
    true = np.array([[0, 10], [20, 30], [40, 50]])
    # [0,9): IoU 0.9 hit; [22,26): IoU 0.4 miss at 0.5; [45,60): IoU 5/20 miss; [70,75) spurious
    pred = np.array([[0, 9], [22, 26], [45, 60], [70, 75]])
    assert segment_matches(true, pred, 0.5) == 1
    assert segment_matches(true, pred, 0.25) == 3
    assert segment_matches(true, pred, 0.1) == 3
    # one true bout can only be matched once, even by two good predictions
    assert segment_matches(np.array([[0, 10]]), np.array([[0, 10], [0, 9]]), 0.5) == 1
    y = np.zeros(80, dtype=int)
    p = np.zeros(80, dtype=int)
    for a, b in true:
        y[a:b] = 1
    for a, b in pred:
        p[a:b] = 1
    assert segmental_scores(y, p, 0.5) == (1, 3, 4)
    e = entry(y, p.astype(float), p, fps=10.0, overlap=0.5)
    assert e.segmental_precision == pytest.approx(1 / 4)
    assert e.segmental_recall == pytest.approx(1 / 3)
    assert e.segmental_f1 == pytest.approx(2 * 1 / (3 + 4))


def test_pooled_adds_counts_and_per_video_keeps_each_video() -> None:
    a = Scored(
        np.array([[1], [0], [1]]), np.array([[0.9], [0.2], [0.3]]), np.array([[1], [0], [0]])
    )
    b = Scored(
        np.array([[0], [0], [1]]), np.array([[0.6], [0.1], [0.7]]), np.array([[1], [0], [1]])
    )
    m = score({"a": a, "b": b}, ["x"], fps=2.0)
    assert m.per_video["a"]["x"].confusion == ((1, 0), (1, 1))
    assert m.per_video["b"]["x"].confusion == ((1, 1), (0, 1))
    pooled = m.pooled["x"]
    assert pooled.confusion == ((2, 1), (1, 2))
    assert pooled.f1 == pytest.approx(4 / 6)
    assert pooled.bouts_true == 3 and pooled.bouts_pred == 3
    assert pooled.segmental_f1 == pytest.approx(2 * 2 / 6)
    from sklearn.metrics import average_precision_score

    expected = average_precision_score([1, 0, 1, 0, 0, 1], [0.9, 0.2, 0.3, 0.6, 0.1, 0.7])
    assert pooled.pr_auc == pytest.approx(expected)
