"""``mbr-search dashboard`` served for real and opened in headless Debian Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING

from mbr_search.storage import default_artifact_dir, open_storage, resolve_storage

REPO = Path(__file__).resolve().parents[1]
N_TRIALS = 6


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["MBR_SEARCH_HOME"] = str(tmp_path / "home")
    env["HOME"] = str(tmp_path / "userhome")
    return env


def _make_study(tmp_path: Path) -> tuple[str, Path]:
    """A small real study (quadratic objective) plus one study artifact on disk."""
    spec = resolve_storage(f"sqlite:///{tmp_path}/dash.db")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="browser_demo", storage=open_storage(spec), direction="maximize"
    )
    study.optimize(lambda t: -((t.suggest_float("x", -2, 2) - 1) ** 2), n_trials=N_TRIALS)
    artifacts = default_artifact_dir(spec)
    artifacts.mkdir(parents=True)
    report = tmp_path / "report_for_dashboard.txt"
    report.write_text("best x near 1\n")
    optuna.artifacts.upload_artifact(
        artifact_store=optuna.artifacts.FileSystemArtifactStore(artifacts),
        file_path=str(report),
        study_or_trial=study,
    )
    return spec.url, artifacts


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    """Run `mbr-search dashboard` on a free port; yields the study page URL it prints."""
    url, _ = _make_study(tmp_path)
    with _serve(tmp_path, url) as page:
        yield page


@contextlib.contextmanager
def _serve(tmp_path: Path, url: str) -> Iterator[str]:
    command = [sys.executable, "-m", "mbr_search", "dashboard", "browser_demo"]
    proc = subprocess.Popen(
        [*command, "--storage", url, "--port", "0"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        page = ""
        for _ in range(5):  # header lines come first, then the server blocks
            line = proc.stdout.readline()
            found = re.search(r"http://\S+", line)
            if found:
                page = found.group(0)
                break
        assert page, proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        yield page
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_dashboard_on_journal_storage(tmp_path: Path) -> None:
    spec = resolve_storage(f"journal://{tmp_path}/study.log")
    optuna.create_study(study_name="browser_demo", storage=open_storage(spec)).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2
    )
    with _serve(tmp_path, spec.url) as page:
        base = page.split("/dashboard", 1)[0]
        _, body = _get(f"{base}/api/studies/0?after=0")
        assert len(json.loads(body)["trials"]) == 2


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, response.read()


def test_dashboard_binds_localhost_and_serves_without_accept_encoding(dashboard: str) -> None:
    assert dashboard.startswith("http://127.0.0.1:")
    assert re.search(r"/dashboard/studies/\d+$", dashboard)
    base = dashboard.split("/dashboard", 1)[0]
    # urllib sends no Accept-Encoding; plain optuna-dashboard 0.21 answers 500 here.
    status, body = _get(f"{base}/static/bundle.js")
    assert status == 200 and len(body) > 10_000
    status, body = _get(f"{base}/api/studies")
    names = [s["study_name"] for s in json.loads(body)["study_summaries"]]
    assert names == ["browser_demo"]


@pytest.mark.slow
@pytest.mark.needs_chromium
@pytest.mark.skipif(CHROMIUM is None, reason=CHROMIUM_MISSING)
def test_study_page_in_headless_chromium(dashboard: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    home = tmp_path / "chromium-home"
    home.mkdir()
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # Chromium writes its profile and crash dumps there
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(dashboard)
                page.wait_for_selector("#plot-history .scatterlayer .point", timeout=30_000)
                points = page.locator("#plot-history .scatterlayer .point").count()
                # One marker per trial, plus the best-value line's markers (if any).
                assert points >= N_TRIALS
                assert page.get_by_text("browser_demo", exact=False).first.is_visible()
                page.get_by_text("report_for_dashboard.txt").first.wait_for(timeout=15_000)

                page.goto(f"{dashboard}/trials")
                page.get_by_text(f"{N_TRIALS} Trials").wait_for(timeout=30_000)
                for number in range(N_TRIALS):
                    assert page.get_by_text(f"Trial {number}", exact=True).count() >= 1
                assert page.get_by_text("Best Trial").count() >= 1
            finally:
                browser.close()
    finally:
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mbr_search", "dashboard", *args],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dashboard_refuses_missing_file_and_unknown_study(tmp_path: Path) -> None:
    result = _run_cli(tmp_path, "x", "--storage", f"sqlite:///{tmp_path}/none.db", "--port", "0")
    assert result.returncode == 2
    assert "does not exist yet" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "none.db").exists()
    url, _ = _make_study(tmp_path)
    result = _run_cli(tmp_path, "nosuch", "--storage", url, "--port", "0")
    assert result.returncode == 2
    assert "study 'nosuch' is not in storage" in result.stderr
    assert "browser_demo" in result.stderr and len(result.stderr.strip().splitlines()) == 1
