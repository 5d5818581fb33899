"""benchmarks/levers.py: each lever's paired difference over videos, the seed bag, and the
variant names it takes (a name becomes a study, a folder and a part file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.append(str(BENCH))  # after the installed packages: its module names stay theirs

import _sections_levers  # noqa: E402
import levers_assemble  # noqa: E402
import summary  # noqa: E402


def _videos(seed: int, n: int = 6, frames: int = 300) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"v{i}": (rng.random((frames, 3)) < 0.2).astype(np.uint8) for i in range(n)}


def test_a_lever_that_knows_the_labels_pays_and_one_that_does_not_costs() -> None:
    labels = _videos(0)
    rng = np.random.default_rng(1)
    noise = {v: rng.random(y.shape) for v, y in labels.items()}
    good = {v: 0.7 * y + 0.3 * noise[v] for v, y in labels.items()}
    rows = levers_assemble.compare(
        labels,
        {"good": good, "noise": noise},
        [("good", "noise", "knows"), ("noise", "good", "guesses"), ("good", "absent", "x")],
    )
    verdicts = {r["lever"]: r["verdict"] for r in rows}
    assert verdicts == {"knows": "pays", "guesses": "costs"}  # a missing arm has no row
    assert rows[0]["videos"] == 6 and rows[0]["value"] > 0.3


def test_a_difference_uses_only_the_videos_both_arms_scored() -> None:
    labels = _videos(2)
    rng = np.random.default_rng(3)
    a = {v: rng.random(y.shape) for v, y in labels.items()}
    b = {v: p for v, p in list(a.items())[:4]}
    (row,) = levers_assemble.compare(labels, {"a": a, "b": b}, [("a", "b", "same")])
    assert row["videos"] == 4 and row["value"] == 0.0 and row["verdict"] == "no evidence"


def test_the_seed_bag_is_the_mean_of_the_seeds_on_the_videos_all_scored() -> None:
    rng = np.random.default_rng(4)
    probs = {s: {f"v{i}": rng.random((10, 3)) for i in range(3)} for s in levers_assemble.SEEDS}
    del probs["seed2"]["v2"]
    bag = levers_assemble.derived(probs, n_folds=0)[0]["bag3"]
    assert sorted(bag) == ["v0", "v1"]
    expected = (probs["base"]["v1"] + probs["seed1"]["v1"] + probs["seed2"]["v1"]) / 3
    assert np.allclose(bag["v1"], expected)


@pytest.mark.parametrize("bad", ["../x", "bogus", "base,nope"])
def test_an_unknown_variant_exits_2_naming_it(bad: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    done = subprocess.run(
        [sys.executable, str(BENCH / "levers.py"), "--variants", bad, "--work", str(work)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "unknown variants" in done.stderr and bad.split(",")[-1] in done.stderr
    assert not work.exists()  # refused before anything was written


def test_the_committed_levers_page_passes_its_own_check() -> None:
    data = json.loads((BENCH / "results" / "levers.json").read_text("utf-8"))
    text = _sections_levers.levers(data)
    summary.check_text("levers", data, text, "docs/benchmarks.md")
    assert "Issue 20's targets" in text
    assert all(
        c["verdict"] in {"pays", "costs", "no evidence"} for c in data["result"]["comparisons"]
    )


def test_a_lever_is_placed_among_the_seed_runs_only_on_all_20_videos() -> None:
    variants = {
        "base": {"pooled": 0.66, "videos": 20},
        "seed1": {"pooled": 0.64, "videos": 20},
        "low": {"pooled": 0.63, "videos": 20},
        "mid": {"pooled": 0.65, "videos": 20},
        "high": {"pooled": 0.67, "videos": 20},
        "part": {"pooled": 0.70, "videos": 12},
    }
    rows = [{"a": a, "b": "base"} for a in ("low", "mid", "high", "part", "seed1")]
    placed = levers_assemble.among_seed_runs(rows, variants, ["base", "seed1"])
    assert [r["among_seed_runs"] for r in placed] == [
        "below all", "within", "above all", None, None,
    ]  # fmt: skip
