"""One real search + evaluation on bundled data, shared by the slow evaluate/predict tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import run_cli, write_tiny_study

_CACHE: dict[Path, Evaluated] = {}


@dataclass(frozen=True)
class Evaluated:
    base: Path
    study: Path
    storage: str
    out: Path
    env: dict[str, str]
    stdout: str

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text())


def evaluated_study(base: Path) -> Evaluated:
    """``run`` 2 trials (no pruning) then ``evaluate --top 2`` of the tiny rat study, once."""
    if base in _CACHE:
        return _CACHE[base]
    env = {"MBR_SEARCH_HOME": str(base / "home")}
    study = write_tiny_study(base / "study")
    storage = f"sqlite:///{base / 's.db'}"
    ran = run_cli(
        "run", str(study), "--trials", "2", "--storage", storage, "--no-progress",
        "--set", "pruner.name=none", env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    out = base / "out"
    ev = run_cli(
        "evaluate", str(study), "--top", "2", "--storage", storage, "--out", str(out), env=env
    )
    assert ev.returncode == 0, ev.stderr
    _CACHE[base] = Evaluated(base, study, storage, out, env, ev.stdout)
    return _CACHE[base]
