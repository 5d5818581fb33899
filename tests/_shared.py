"""Steps several test modules take the same way: the ``--help`` lazy-import probe, reading a
Markdown table of a report, ``run`` then ``evaluate`` of a study, and a new family's or
option's way through ``predict`` and ``suggest``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from conftest import RAT08_POSE, run_cli

RAT_PROBS = [f"{b}_prob" for b in ("social", "nonsocial", "aggression")]

#: ``mbr-search --help`` in a fresh interpreter, after importing the modules named in
#: argv[1] (JSON); prints which of the modules named in argv[2] (JSON) it loaded.
_HELP_PROBE = """
import importlib, json, sys
from mbr_search.cli.main import main
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps([m for m in json.loads(sys.argv[2]) if m in sys.modules]))
"""


def loaded_by_help(modules: Sequence[str], *, after_importing: Sequence[str] = ()) -> list[str]:
    """Which of ``modules`` a fresh ``mbr-search --help`` loads (after ``after_importing``):
    heavy libraries must stay lazy, so the tests expect none."""
    out = subprocess.run(
        [sys.executable, "-c", _HELP_PROBE, json.dumps(list(after_importing)),
         json.dumps(list(modules))],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return list(json.loads(out.strip().splitlines()[-1]))


def md_table(markdown: str, title_start: str) -> list[list[str]]:
    """Rows (header first) of the Markdown table whose bold title starts with ``title_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"**{title_start}"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return [rows[0], *rows[2:]]  # drop the | --- | line


def run_then_evaluate(
    study: Path, storage: str, out: Path, *, trials: int
) -> subprocess.CompletedProcess[str]:
    """``run`` ``trials`` trials of ``study``, then ``evaluate --top 1 --no-importance`` into
    ``out``; both must succeed. Returns evaluate's process."""
    ran = run_cli("run", str(study), "--trials", str(trials), "--storage", storage,
                  "--no-progress")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    ev = run_cli("evaluate", str(study), "--top", "1", "--no-importance", "--storage", storage,
                 "--out", str(out))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    return ev


def one_evaluated_trial(study: Path, storage: str, out: Path) -> tuple[dict[str, Any], Path]:
    """``run`` one trial of ``study`` and ``evaluate`` it into ``out``: its results.json
    entry and its model directory."""
    run_then_evaluate(study, storage, out, trials=1)
    (trial,) = json.loads((out / "results.json").read_text())["trials"]
    return trial, out / trial["model_dir"]


def predict_and_suggest_rat08(model: Path, out: Path, trial: dict[str, Any], tmp_path: Path) -> Any:
    """``predict`` rat08 with ``model``: its probabilities must be the ones ``evaluate``
    (into ``out``) scored for rat08; then ``suggest`` must rank 3 segments from the same
    model. Returns predict's per-frame table."""
    import pandas as pd

    target = tmp_path / "pred"
    pred = run_cli("predict", str(model), str(RAT08_POSE), "--out", str(target))
    assert pred.returncode == 0, pred.stderr
    predicted = pd.read_csv(next(target.glob("*_frames.csv")))
    tested = pd.read_csv(out / "trials" / f"trial_{trial['number']}" / "test" / "rat08.csv")
    assert len(predicted) == len(tested) == 1500
    np.testing.assert_allclose(predicted[RAT_PROBS], tested[RAT_PROBS], atol=2e-5)
    sug = tmp_path / "sug"
    suggested = run_cli("suggest", str(model), str(RAT08_POSE), "--n", "3", "--out", str(sug))
    assert suggested.returncode == 0, suggested.stderr
    assert len(pd.read_csv(sug / "segments.csv")) == 3
    return predicted
