"""Shared test fixtures: an isolated home, the bundled and the shared real data, tiny studies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "datasets"
RAT_MINI = BUNDLED / "rat_social_mini" / "dataset.yaml"
STURMAN_MINI = BUNDLED / "sturman_oft_excerpts" / "dataset.yaml"
SHARED_DATA = REPO.parent / "shared" / "data"

#: Debian's Chromium, driven by Playwright in the browser tests (never `playwright install`);
#: the flags keep it off the network, which this machine does not have.
CHROMIUM = Path("/usr/bin/chromium")
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


@pytest.fixture
def shared_data() -> Path:
    """The real data in ../shared/data; tests using it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} not present (real shared data is optional)")
    return SHARED_DATA


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
cv: {{scheme: group_kfold, k: 3, max_folds: 2}}
sampler: {{name: tpe, n_startup_trials: 2}}
pruner: {{name: median, n_startup_trials: 1, n_warmup_steps: 0}}
training: {{max_epochs: 1, patience: 1}}
seed: 0
trials: 2
{extra}"""
    )
    return study


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
