"""Morphological post-processing and its tuning on out-of-fold predictions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mbr_search.scoring.bouts import bouts
from mbr_search.scoring.postprocess import PostProcess, apply, grid, tune


def test_closing_fills_the_thesis_example() -> None:
    # Thesis §6.1: the isolated 0 in the eighth position is an error that closing removes.
    x = np.array([0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1])
    assert apply(x, PostProcess(closing=3)).tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    assert apply(x, PostProcess()).tolist() == x.tolist()


def test_opening_removes_isolated_frames_and_min_bout_short_bouts() -> None:
    x = np.array([0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0])
    assert apply(x, PostProcess(opening=3)).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert apply(x, PostProcess(min_bout=2)).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0]
    assert apply(x, PostProcess(min_bout=5)).tolist() == [0] * 13


def test_bouts_touching_the_edges_are_not_eroded() -> None:
    x = np.array([1, 1, 0, 1, 1, 0, 0, 0, 1, 1])
    out = apply(x, PostProcess(closing=3))
    assert out.tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 1, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=60), st.integers(2, 7))
def test_closing_only_adds_and_opening_only_removes(values: list[int], size: int) -> None:
    x = np.array(values)
    closed = apply(x, PostProcess(closing=size))
    opened = apply(x, PostProcess(opening=size))
    assert np.all(closed >= x) and np.all(opened <= x)
    # a bout touching either end may continue beyond the recording, so opening keeps it
    inner = [(a, b) for a, b in bouts(opened) if a > 0 and b < len(x)]
    assert all(b - a >= size for a, b in inner)
    assert all(b - a >= size for a, b in bouts(apply(x, PostProcess(min_bout=size))))


def test_grid_is_in_frames_at_the_study_rate() -> None:
    g = grid(10.0)
    assert g["closing"][0] == 0 and 3 in g["closing"] and 10 in g["closing"]
    assert grid(30.0)["min_bout"] == [0, 9, 15, 30, 60]


def test_tune_switches_closing_on_when_predictions_are_fragmented() -> None:
    rng = np.random.default_rng(0)
    labels, preds = [], []
    for _ in range(4):
        y = np.zeros(400, dtype=np.uint8)
        for start in rng.choice(np.arange(10, 380, 40), size=6, replace=False):
            y[start : start + 25] = 1
        p = y.copy()
        holes = rng.random(400) < 0.15  # fragment every true bout with 1-frame holes
        p[holes & (y == 1)] = 0
        labels.append(y)
        preds.append(p)
    chosen = tune(labels, preds, fps=10.0)
    assert chosen.closing >= 3
    fixed = [apply(p, chosen) for p in preds]
    assert sum(len(bouts(f)) for f in fixed) < sum(len(bouts(p)) for p in preds)


def test_tune_keeps_the_identity_when_predictions_are_already_right() -> None:
    y = np.zeros(200, dtype=np.uint8)
    y[20:60] = 1
    y[100:104] = 1  # a real 4-frame bout that opening or min_bout would delete
    assert tune([y], [y.copy()], fps=10.0) == PostProcess()
