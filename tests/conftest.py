"""Shared test fixtures: an isolated home, the bundled and the shared real data, tiny studies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _postgres import postgres_server

if TYPE_CHECKING:
    from _evaluated import Evaluated

#: The session's one PostgreSQL server (tests/_postgres.py), for every module that asks.
__all__ = ["postgres_server"]

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "datasets"
RAT_MINI = BUNDLED / "rat_social_mini" / "dataset.yaml"
STURMAN_MINI = BUNDLED / "sturman_oft_excerpts" / "dataset.yaml"
#: the bundled rat08 pose file: a test video of the rat studies (1,500 frames at 10 fps)
RAT08_POSE = (
    RAT_MINI.parent / "dlc" / "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
)
SHARED_DATA = REPO.parent / "shared" / "data"

#: Marker names of the tests that need a real system part (registered in pyproject.toml).
NEEDS_MARKERS = ("needs_postgres", "needs_chromium")
#: Reason prefix of the one skip that stays a skip under CI=true: the optional ../shared data.
SHARED_SKIP = "optional shared data absent:"


def on_ci() -> bool:
    """``CI=true`` (as CI runs ``.ci/run``): a needed system part that is missing fails."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def find_chromium() -> Path | None:
    """The one way to find Chromium, the same as ``.ci/run``'s ``chromium_path``:
    ``$MBR_SEARCH_CHROMIUM`` when set and non-empty (``.ci/run`` exports what it found),
    else ``chromium`` on PATH. A set variable naming no executable means: not found."""
    named = os.environ.get("MBR_SEARCH_CHROMIUM", "")
    if named:
        return Path(named) if os.path.isfile(named) and os.access(named, os.X_OK) else None
    found = shutil.which("chromium")
    return Path(found) if found else None


#: Debian's Chromium, driven by Playwright in the browser tests (never `playwright install`);
#: the flags keep it off the network, which this machine does not have.
CHROMIUM = find_chromium()
CHROMIUM_MISSING = (
    "no Chromium: $MBR_SEARCH_CHROMIUM (if set) or `chromium` on PATH; apt-get install chromium"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data/cache folders and runs in a temp cwd: nothing leaks."""
    home = tmp_path / "mbr_home"
    monkeypatch.setenv("MBR_SEARCH_HOME", str(home))
    monkeypatch.delenv("MBR_SEARCH_CACHE", raising=False)
    monkeypatch.delenv("MBR_SEARCH_DB_PASSWORD", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture(scope="session")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Evaluated:
    """The test run's one real 4-trial search and ``evaluate --top 2`` of the tiny rat study
    (tests/_evaluated.py): built once for every module, and once for all pytest-xdist
    workers (a file lock). Shared: a test that writes into it copies it first."""
    # Imported here: tests/_evaluated.py imports this module's helpers.
    from _evaluated import evaluated_study, shared_base

    base = shared_base(tmp_path_factory)
    base.mkdir(parents=True, exist_ok=True)
    # A session fixture runs before isolated_home: the same isolation, by hand.
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(base)
        patch.delenv("MBR_SEARCH_CACHE", raising=False)
        patch.delenv("MBR_SEARCH_DB_PASSWORD", raising=False)
        return evaluated_study(base)


@pytest.fixture
def shared_data() -> Path:
    """The real data in ../shared/data; tests using it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_SKIP} {SHARED_DATA} not present (real shared data is optional)")
    return SHARED_DATA


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the PostgreSQL server fixture needs PostgreSQL, marked or not."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.needs_postgres)


_REQUIRED_BUT_SKIPPED: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Under CI=true a test marked ``needs_postgres``/``needs_chromium`` may not skip: its skip
    (a skipif, a fixture's skip, an importorskip) is turned into a failure, so the run fails
    instead of going green without its real parts. Only the ../shared data skip stays."""
    report: pytest.TestReport = yield
    if not (report.skipped and on_ci() and not hasattr(report, "wasxfail")):
        return report
    needs = [m for m in NEEDS_MARKERS if item.get_closest_marker(m) is not None]
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if needs and not reason.removeprefix("Skipped: ").startswith(SHARED_SKIP):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} is marked {', '.join(needs)} and was skipped under CI=true, where "
            f"it must run. Skip reason: {reason}"
        )
        _REQUIRED_BUT_SKIPPED.append(f"{item.nodeid} ({', '.join(needs)}): {reason}")
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Under pytest-xdist the workers turned the skips into failures; the controller, which
    # prints this summary, sees them only as failed reports.
    lines = list(_REQUIRED_BUT_SKIPPED) or [
        str(r.longrepr)
        for r in terminalreporter.stats.get("failed", [])
        if "was skipped under CI=true" in str(r.longrepr)
    ]
    if lines:
        terminalreporter.section("needed system parts missing under CI=true", red=True)
        for line in lines:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _REQUIRED_BUT_SKIPPED and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


TINY_SPACE = """\
name: tiny_lstm
model: lstm
params:
  lstm_units: {type: categorical, choices: [8, 16]}
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
fixed:
  seq_len: 150
  batch_size: 16
  lstm_layers: 1
  dropout: 0.1
  multi_label: true
"""


def write_tiny_study(
    folder: Path, *, name: str = "tiny", dataset: Path = RAT_MINI, extra: str = ""
) -> Path:
    """A fast study on bundled real data: 2 folds, 1 epoch, 8/16-unit LSTM."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny_space.yaml").write_text(TINY_SPACE)
    study = folder / f"{name}.yaml"
    study.write_text(
        f"""\
name: {name}
dataset: {dataset}
behaviours: [social, nonsocial, aggression]
fps: 10
features: {{backbone: pose}}
space: tiny_space.yaml
cv: {{scheme: group_kfold, k: 3, max_folds: 2, promote: 0}}
sampler: {{name: tpe, n_startup_trials: 2}}
pruner: {{name: median, n_startup_trials: 1, n_warmup_steps: 0}}
training: {{max_epochs: 1, patience: 1}}
seed: 0
trials: 2
{extra}"""
    )
    return study


def with_user_ctrl_c() -> None:
    """``preexec_fn`` for a child a test stops with Ctrl-C (SIGINT): give it SIGINT's
    default. pytest-xdist workers, and anything launched from a shell without job control
    (a background CI job), ignore SIGINT; an ignored signal stays ignored in a child, and
    Python then installs no KeyboardInterrupt handler, so the child would never see it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``mbr-search`` in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mbr_search", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
