"""The quality benchmark's prevalence diagnostic: reweighting negatives is exact."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "quality_gap.py"
_spec = importlib.util.spec_from_file_location("quality_gap", _PATH)
assert _spec is not None and _spec.loader is not None
quality_gap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quality_gap)


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(400) < 0.2
    return y, rng.normal(size=400) + 1.2 * y


def test_own_prevalence_is_plain_average_precision() -> None:
    y, p = _data(0)
    assert quality_gap.reweighted_ap(y, p, float(y.mean())) == pytest.approx(
        average_precision_score(y, p)
    )


def test_reweighting_equals_repeating_the_negatives() -> None:
    y, p = _data(1)
    neg = ~y
    y3 = np.concatenate([y, np.zeros(2 * neg.sum(), bool)])
    p3 = np.concatenate([p, p[neg], p[neg]])
    assert quality_gap.reweighted_ap(y, p, float(y3.mean())) == pytest.approx(
        average_precision_score(y3, p3)
    )


def test_rarer_positives_lower_the_score_and_degenerate_input_is_none() -> None:
    y, p = _data(2)
    rare = quality_gap.reweighted_ap(y, p, 0.02)
    common = quality_gap.reweighted_ap(y, p, 0.5)
    assert rare is not None and common is not None and rare < common
    assert quality_gap.reweighted_ap(np.zeros(5, bool), p[:5], 0.1) is None
    assert quality_gap.reweighted_ap(y, p, 1.0) is None
