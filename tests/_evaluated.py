"""One real search + evaluation on bundled data, shared by every slow test that reads a tiny
searched study or its evaluation: evaluate, predict, report and the report in a browser.

Built at most once per session (whichever test asks first), under the session's base temp
folder; a test that changes files copies them first (``shutil.copytree(evaluated.out, ...)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import STURMAN_MINI, run_cli, write_tiny_study

#: Finished trials of the shared search: the report's importances need 4 complete trials.
SHARED_TRIALS = 4
#: No pruning (every trial complete: importances, evaluate's top 2 and its ensemble), and a
#: ``--set`` that the report's best_config.yaml must carry over.
SHARED_SET = ("--set", "pruner.name=none", "--set", "training.patience=2")

_SEARCHED: dict[Path, Searched] = {}
_CACHE: dict[Path, Evaluated] = {}


@dataclass(frozen=True)
class Searched:
    base: Path
    study: Path
    storage: str
    env: dict[str, str]
    stdout: str


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


def shared_base(tmp_path_factory: Any) -> Path:
    """Where the session's shared search lives (one folder for every module)."""
    return Path(tmp_path_factory.getbasetemp()) / "evaluated"


def searched_study(base: Path) -> Searched:
    """``run`` 4 trials (no pruning, patience 2) of the tiny rat study, once per ``base``."""
    if base in _SEARCHED:
        return _SEARCHED[base]
    env = {"MBR_SEARCH_HOME": str(base / "home")}
    study = write_tiny_study(base / "study")
    storage = f"sqlite:///{base / 's.db'}"
    ran = run_cli(
        "run", str(study), "--trials", str(SHARED_TRIALS), "--storage", storage, "--no-progress",
        *SHARED_SET, env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert f"{SHARED_TRIALS}/{SHARED_TRIALS} finished trials ({SHARED_TRIALS} complete" in (
        ran.stdout
    )
    _SEARCHED[base] = Searched(base, study, storage, env, ran.stdout)
    return _SEARCHED[base]


def sturman_search(base: Path) -> Searched:
    """``run`` 2 trials of a tiny leave-one-video-out study of the Sturman excerpt (two train
    videos, three raters, no test video), once per ``base``: out-of-fold results and the
    human ceiling."""
    if base in _SEARCHED:
        return _SEARCHED[base]
    env = {"MBR_SEARCH_HOME": str(base / "home")}
    write_tiny_study(base / "studies")  # for its tiny space
    study = base / "studies" / "tiny_oft.yaml"
    study.write_text(
        f"name: tiny_oft\ndataset: {STURMAN_MINI}\n"
        "behaviours: [wall_rearing, mid_rearing, grooming]\nfps: 10\n"
        "features: {backbone: pose}\nspace: tiny_space.yaml\n"
        "cv: {scheme: leave_one_video_out}\nsampler: {name: tpe, n_startup_trials: 2}\n"
        "pruner: {name: none}\ntraining: {max_epochs: 1, patience: 1}\nseed: 0\n"
    )
    storage = f"sqlite:///{base / 'oft.db'}"
    ran = run_cli("run", str(study), "--trials", "2", "--storage", storage, "--no-progress",
                  env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    _SEARCHED[base] = Searched(base, study, storage, env, ran.stdout)
    return _SEARCHED[base]


def evaluated_study(base: Path) -> Evaluated:
    """``evaluate --top 2`` of :func:`searched_study`, once per ``base``."""
    if base in _CACHE:
        return _CACHE[base]
    searched = searched_study(base)
    out = base / "out"
    ev = run_cli(
        "evaluate", str(searched.study), "--top", "2", "--storage", searched.storage,
        "--out", str(out), env=searched.env,
    )  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    _CACHE[base] = Evaluated(base, searched.study, searched.storage, out, searched.env, ev.stdout)
    return _CACHE[base]
