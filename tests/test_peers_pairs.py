"""The peers benchmark's paired differences (benchmarks/peers/pairs.py): both arms scored on
the same resampled videos, a clear gap called, a tie called "no evidence", a pair with an
arm that did not run left out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "peers" / "pairs.py"
_spec = importlib.util.spec_from_file_location("peers_pairs", _PATH)
assert _spec is not None and _spec.loader is not None
pairs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pairs)


def _videos(seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    truth, noise = {}, {}
    for v in range(5):
        truth[f"rat{v:02d}"] = (rng.random((400, 3)) < 0.3).astype(np.uint8)
        noise[f"rat{v:02d}"] = rng.random((400, 3)).astype(np.float32)
    return truth, noise


def test_a_clearly_better_arm_is_called_and_a_tie_is_no_evidence() -> None:
    truth, noise = _videos(0)
    good = {v: 0.6 * t + 0.4 * noise[v] for v, t in truth.items()}
    rows = pairs.paired_differences(
        truth,
        {"mbr_auto_pose_ensemble": good, "dlc2action_default": noise, "hgb_baseline": good},
    )
    by = {(r["a"], r["b"]): r for r in rows}
    clear = by[("mbr_auto_pose_ensemble", "dlc2action_default")]
    assert clear["value"] > 0.3 and clear["verdict"] == "a better"
    assert clear["interval"]["low"] > 0 and clear["videos"] == 5
    tie = by[("mbr_auto_pose_ensemble", "hgb_baseline")]
    assert tie["value"] == 0.0 and tie["verdict"] == "no evidence"
    worse = by[("dlc2action_default", "hgb_baseline")]
    assert worse["verdict"] == "b better"
    # simba_rf and dlc2action_search did not run: their pairs are left out, not faked
    assert not [r for r in rows if "simba_rf" in (r["a"], r["b"])]
    assert not [r for r in rows if "dlc2action_search" in (r["a"], r["b"])]


def test_only_the_videos_both_arms_scored_are_compared() -> None:
    truth, noise = _videos(1)
    partial = {v: p for v, p in list(noise.items())[:3]}
    rows = pairs.paired_differences(
        truth, {"mbr_auto_pose_ensemble": noise, "dlc2action_default": partial}
    )
    assert [r["videos"] for r in rows] == [3]
    assert rows[0]["value"] == 0.0
