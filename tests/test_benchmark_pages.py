"""benchmarks/summary.py renders docs/benchmarks.md and the README's tables from the results
JSON: it refuses a placeholder or a machine's absolute path (naming the JSON key), and the
peers section renders the paired differences, every arm's label guard and the commits that
changed an arm's code since it ran."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.append(str(BENCH))  # after the installed packages: its module names stay theirs

import _sections_peers  # noqa: E402
import summary  # noqa: E402


@pytest.fixture(scope="module")
def peers() -> dict[str, Any]:
    return json.loads((BENCH / "results" / "peers.json").read_text("utf-8"))


def test_the_committed_peers_page_passes_its_own_check(peers: dict[str, Any]) -> None:
    text = _sections_peers.peers(peers)
    summary.check_text("peers", peers, text, "docs/benchmarks.md")
    summary.check_text("peers", peers, _sections_peers.readme_table(peers), "README.md")


@pytest.mark.parametrize(
    ("value", "what"),
    [("/work/someone/bench/log.txt", "absolute path"), ("not available", "placeholder")],
)
def test_a_machine_path_or_placeholder_in_an_arm_is_refused_with_its_key(
    peers: dict[str, Any], value: str, what: str
) -> None:
    bad = copy.deepcopy(peers)
    arm = next(n for n, a in bad["arms"].items() if a.get("mean_pr_auc") is not None)
    bad["arms"][arm]["label_guard"] = {"passed": True, "check": value, "test_videos": 5}
    bad["arms"][arm]["label_guard"]["out_of_fold_videos"] = 15
    with pytest.raises(summary.DocError) as err:
        summary.check_text("peers", bad, _sections_peers.peers(bad), "docs/benchmarks.md")
    message = str(err.value)
    assert what in message and f"arms.{arm}.label_guard.check" in message
    assert "benchmarks/results/peers.json" in message


def test_pairs_guards_and_code_changes_are_rendered(peers: dict[str, Any]) -> None:
    d = copy.deepcopy(peers)
    arm = next(n for n, a in d["arms"].items() if a.get("mean_pr_auc") is not None)
    d["arms"][arm]["code_changed_since"] = ["abc1234 a change to the arm's harness"]
    d["paired_differences"] = [
        {
            "a": "mbr_auto_pose_ensemble",
            "b": "hgb_baseline",
            "videos": 5,
            "value": 0.0731,
            "interval": {"low": 0.021, "high": 0.118},
            "verdict": "a better",
        }
    ]
    text = _sections_peers.peers(d)
    assert "**+0.073** | +0.021 to +0.118 | a ahead" in text
    assert "abc1234 a change to the arm's harness" in text
    d["paired_differences"] = []
    assert "No paired differences" in _sections_peers.peers(d)
