"""The nested yardstick's assembly (benchmarks/quality_assemble.py) on generated units: outer
scores pooled over every unit's videos, estimate - outer per fold, interval coverage, and a
paired difference only on the videos both arms scored."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mbr_search.scoring.bootstrap import pooled_mean_pr_auc

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


NAMES = ("_bench", "quality_units", "quality_assemble")


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """The benchmark modules imported with their results folder in ``tmp_path`` (read at
    import), and forgotten after, so no other test sees that folder."""
    monkeypatch.setenv("MBR_BENCH_RESULTS", str(tmp_path))
    monkeypatch.syspath_prepend(str(BENCH))
    for name in NAMES:
        sys.modules.pop(name, None)
    yield importlib.import_module("quality_units"), importlib.import_module("quality_assemble")
    for name in NAMES:
        sys.modules.pop(name, None)


def _unit(seed: int, videos: list[str], skill: float) -> tuple[dict[str, np.ndarray], ...]:
    rng = np.random.default_rng(seed)
    labels = {v: (rng.random((500, 3)) < [0.3, 0.2, 0.05]).astype(np.uint8) for v in videos}
    probs = {v: np.clip(skill * y + rng.random(y.shape), 0, 1) / 1.6 for v, y in labels.items()}
    return labels, probs


def _entry(estimate: float, low: float, high: float, outer: float) -> dict[str, Any]:
    iv = {"low": low, "high": high, "level": 0.9, "draws": 10, "videos": 16, "unit": "video"}
    return {"estimate": estimate, "kind": "oof", "estimate_interval": iv, "expected_test": iv,
            "in_sample": None, "outer": outer}  # fmt: skip


def test_assembly_pools_units_and_judges_each_fold(modules: tuple[Any, Any]) -> None:
    units, assemble = modules
    folds = [["a", "b"], ["c", "d"]]
    pooled_labels, pooled_probs = {}, {}
    for k, videos in enumerate(folds):
        labels, probs = _unit(k, videos, 0.6)
        outer = pooled_mean_pr_auc(labels, probs)
        # fold 0's interval covers its outer score, fold 1's does not
        entry = (
            _entry(outer - 0.02, outer - 0.1, outer + 0.1, outer)
            if k == 0
            else (_entry(outer + 0.2, outer + 0.1, outer + 0.3, outer))
        )
        _, base_probs = _unit(10 + k, videos, 0.1)
        units.save_part(
            "auto_pose", k,
            {"models": {"selected_ensemble": entry}, "cpu_seconds": 1.0,
             "budget_trials": 8, "code": {"commit": "abc"}},
            {"selected_ensemble": probs, "labels": labels},
        )  # fmt: skip
        if k == 0:  # the baseline ran on fold 0 only, on the same labels
            units.save_part(
                "baseline", 0,
                {"models": {"baseline": _entry(0.5, 0.4, 0.6, 0.5)}, "cpu_seconds": 2.0,
                 "budget_trials": None, "code": {"commit": "abc"}},
                {"baseline": base_probs, "labels": labels},
            )  # fmt: skip
        pooled_labels |= labels
        pooled_probs |= probs
    out = assemble.assemble(("baseline", "auto_pose"), folds, {"mean_abs_gap": 0.03,
                                                                "covered_folds": 1})  # fmt: skip
    auto = out["arms"]["auto_pose"]["models"]["selected_ensemble"]
    assert auto["n_folds"] == 2 and auto["covered"] == 1
    assert [round(r["gap"], 6) for r in auto["folds"]] == [-0.02, 0.2]
    assert auto["mean_abs_gap"] == pytest.approx(0.11)
    # stored as uint16: pooled over all four videos up to rounding
    expected = pooled_mean_pr_auc(pooled_labels, pooled_probs)
    assert auto["pooled_outer"]["mean"] == pytest.approx(expected, abs=1e-4)
    assert auto["pooled_outer"]["videos"] == 4
    (diff,) = out["differences"]
    assert diff["a"] == "auto_pose selected_ensemble" and diff["videos"] == 2  # fold 0 only
    assert diff["value"] > 0 and diff["verdict"] == "a better"
    assert out["target"]["met"] is False  # two folds of two run, gap 0.11 > 0.03
