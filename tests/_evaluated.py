"""One real search + evaluation on bundled data, shared by every slow test that reads a tiny
searched study or its evaluation: evaluate, predict, report and the report in a browser.

Built at most once per test run (whichever test asks first) into one folder that every
pytest-xdist worker shares, under a file lock: the first process builds, the others wait and
read what it left. Tests take it as the session fixture ``evaluated`` (tests/conftest.py); a
test that changes files copies them first (``shutil.copytree(evaluated.out, ...)``).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import STURMAN_MINI, run_cli, write_tiny_study

#: Finished trials of the shared search: the report's importances need 4 complete trials.
SHARED_TRIALS = 4
#: No pruning (every trial complete: importances, evaluate's top 2 and its ensemble), and a
#: ``--set`` that the report's best_config.yaml must carry over.
SHARED_SET = ("--set", "pruner.name=none", "--set", "training.patience=2")


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


def shared_root(tmp_path_factory: Any) -> Path:
    """The test run's shared temp folder: under pytest-xdist each worker's base temp folder
    is a sibling (``pytest-N/popen-gwK``), so their parent; alone, the session's own."""
    base = Path(tmp_path_factory.getbasetemp())
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_base(tmp_path_factory: Any) -> Path:
    """Where the run's shared search lives (one folder for every module and worker)."""
    return shared_root(tmp_path_factory) / "evaluated"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive flock on ``path``; the kernel drops it when its holder dies, so a
    crashed worker never leaves the others waiting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(done: Path, build: Callable[[], str]) -> str:
    """What ``build()`` printed, built by whichever process asks first; the others wait on
    the lock and read ``done``, which is written only when the build succeeded."""
    with _locked(done.with_name(done.name + ".lock")):
        if done.is_file():
            return done.read_text()
        printed = build()
        partial = done.with_name(done.name + ".partial")
        partial.write_text(printed)
        partial.replace(done)
        return printed


def searched_study(base: Path) -> Searched:
    """``run`` 4 trials (no pruning, patience 2) of the tiny rat study, once per ``base``."""
    env = {"MBR_SEARCH_HOME": str(base / "home")}
    study = base / "study" / "tiny.yaml"
    storage = f"sqlite:///{base / 's.db'}"

    def search() -> str:
        write_tiny_study(study.parent)
        ran = run_cli(
            "run", str(study), "--trials", str(SHARED_TRIALS), "--storage", storage,
            "--no-progress", *SHARED_SET, env=env,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert f"{SHARED_TRIALS}/{SHARED_TRIALS} finished trials ({SHARED_TRIALS} complete" in (
            ran.stdout
        )
        return ran.stdout

    return Searched(base, study, storage, env, built_once(base / "run.stdout", search))


def sturman_search(base: Path) -> Searched:
    """``run`` 2 trials of a tiny leave-one-video-out study of the Sturman excerpt (two train
    videos, three raters, no test video; the two rearing behaviours), once per ``base``:
    out-of-fold results and the human ceiling."""
    env = {"MBR_SEARCH_HOME": str(base / "home")}
    storage = f"sqlite:///{base / 'oft.db'}"

    def search() -> str:
        ran = run_cli("run", str(_sturman_study(base)), "--trials", "2", "--storage", storage,
                      "--no-progress", env=env)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        return ran.stdout

    stdout = built_once(base / "run.stdout", search)
    return Searched(base, base / "studies" / "tiny_oft.yaml", storage, env, stdout)


def _sturman_study(base: Path) -> Path:
    """The tiny Sturman study file, beside the tiny space it names."""
    write_tiny_study(base / "studies")  # for its tiny space
    study = base / "studies" / "tiny_oft.yaml"
    study.write_text(
        f"name: tiny_oft\ndataset: {STURMAN_MINI}\n"
        # the excerpts have no grooming frame, and a behaviour without positives is refused
        "behaviours: [wall_rearing, mid_rearing]\nfps: 10\n"
        "features: {backbone: pose}\nspace: tiny_space.yaml\n"
        "cv: {scheme: leave_one_video_out}\nsampler: {name: tpe, n_startup_trials: 2}\n"
        "pruner: {name: none}\ntraining: {max_epochs: 1, patience: 1}\nseed: 0\n"
    )
    return study


def evaluated_study(base: Path) -> Evaluated:
    """``evaluate --top 2`` of :func:`searched_study`, once per ``base``."""
    searched = searched_study(base)
    out = base / "out"

    def evaluate() -> str:
        ev = run_cli(
            "evaluate", str(searched.study), "--top", "2", "--storage", searched.storage,
            "--out", str(out), env=searched.env,
        )  # fmt: skip
        assert ev.returncode == 0, ev.stderr
        return ev.stdout

    stdout = built_once(base / "evaluate.stdout", evaluate)
    return Evaluated(base, searched.study, searched.storage, out, searched.env, stdout)
