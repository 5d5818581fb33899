"""`report.html` opened from file:// in headless Debian Chromium (Playwright, never downloaded).

The reports come from real tiny runs: a search and `mbr-search evaluate` on the bundled rat
videos (test videos, ensemble), and on the Sturman excerpts (no test video, three raters:
out-of-fold scores and the human ceiling). The page must load with no JavaScript error and
no network request, draw every plot, and show the numbers of the study and results.json.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pytest
from _evaluated import SHARED_TRIALS, Evaluated, shared_root, sturman_search
from conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    run_cli,
)

from mbr_search.report.document import slug

RAT_TRIALS = SHARED_TRIALS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.needs_chromium,
    pytest.mark.skipif(CHROMIUM is None, reason=CHROMIUM_MISSING),
]


@dataclass(frozen=True)
class Made:
    """A study's storage and the folder where evaluate and report wrote."""

    storage: str
    study_name: str
    out: Path

    def study(self) -> optuna.Study:
        return optuna.load_study(study_name=self.study_name, storage=self.storage)

    def results(self) -> dict[str, Any]:
        return dict(json.loads((self.out / "results.json").read_text()))


def _cli(root: Path, *args: str) -> None:
    with contextlib.chdir(root):
        result = run_cli(*args, env={"MBR_SEARCH_HOME": str(root / "home")})
    assert result.returncode == 0, f"{args[0]}: {result.stderr}"


@pytest.fixture(scope="module")
def rats(evaluated: Evaluated, tmp_path_factory: pytest.TempPathFactory) -> Made:
    """The session's shared search (no pruning, so importances have enough trials) and its
    evaluation of the top 2 (tests/_evaluated.py), reported before and after evaluate."""
    shared = evaluated
    root = tmp_path_factory.mktemp("report_rats")
    study = str(shared.study)
    out = root / "reports"
    shutil.copytree(shared.out, out)  # the shared folder stays as evaluate wrote it
    _cli(root, "report", study, "--storage", shared.storage, "--out", str(root / "cv_only"))
    _cli(root, "report", study, "--storage", shared.storage, "--out", str(out))
    return Made(shared.storage, "tiny", out)


@pytest.fixture(scope="module")
def sturman(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """Two train videos labelled by three raters: out-of-fold results and the human ceiling.
    The 2-trial search is the session's (tests/_evaluated.py); evaluate and report are ours."""
    searched = sturman_search(shared_root(tmp_path_factory) / "sturman")
    root = tmp_path_factory.mktemp("report_sturman")
    study, storage = searched.study, searched.storage
    out = root / "reports"
    _cli(root, "evaluate", str(study), "--storage", storage, "--top", "2", "--cv-only",
         "--no-importance", "--out", str(out))  # fmt: skip
    _cli(root, "report", str(study), "--storage", storage, "--out", str(out))
    return Made(storage, "tiny_oft", out)


@dataclass
class Loaded:
    page: Any
    errors: list[str]
    requests: list[str]


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    home = tmp_path / "chromium-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # Chromium writes its profile and crash dumps there
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_report(browser: Any, html: Path) -> Loaded:
    """Load ``html`` from file://, recording JS errors and any request that is not a file."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    loaded = Loaded(page, [], [])
    page.on("pageerror", lambda exc: loaded.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: loaded.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:  # a self-contained page fetches nothing: record and refuse
            loaded.requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(html.as_uri(), wait_until="load")
    n = html.read_text().count('class="plotly-graph-div"')
    page.wait_for_function(
        f"() => document.querySelectorAll('.plotly-graph-div .main-svg').length >= {n}",
        timeout=30_000,
    )
    return loaded


def assert_every_plot_drawn(loaded: Loaded) -> list[str]:
    """Each plotly div has a laid-out SVG with at least one drawn trace; returns their ids."""
    plots = loaded.page.evaluate(
        """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => [
            d.id, d.getBoundingClientRect().height,
            d.querySelectorAll('.trace, .point, .heatmaplayer image, .barlayer path').length])"""
    )
    assert plots
    for plot_id, height, drawn in plots:
        assert height > 100 and drawn > 0, (plot_id, height, drawn)
    assert not loaded.errors, loaded.errors
    assert not loaded.requests, loaded.requests
    return [p[0] for p in plots]


def cell(loaded: Loaded, element_id: str) -> tuple[str, float]:
    """The shown text and the exact value behind one number on the page."""
    locator = loaded.page.locator(f"#{element_id}")
    return locator.inner_text().strip(), float(locator.get_attribute("data-value"))


def test_full_report_draws_and_shows_the_numbers_of_study_and_results(
    browser: Any, rats: Made
) -> None:
    loaded = open_report(browser, rats.out / "report.html")
    results = rats.results()
    drawn = assert_every_plot_drawn(loaded)
    videos = results["dataset"]["test_videos"]
    assert set(drawn) == {
        "plot-pr-curves", "plot-confusion", "plot-postprocess", "plot-history",
        "plot-intermediate", "plot-importance", "plot-parallel",
        "plot-importance-figure",  # permutation importance of the winner's feature groups
        *(f"plot-ethogram-{slug(v)}" for v in videos),
    }  # fmt: skip
    page = loaded.page
    assert page.locator("#plot-history .scatterlayer .point").count() >= RAT_TRIALS
    study = rats.study()
    best = study.best_trial
    assert cell(loaded, "best-cv-value") == (f"{best.value:.4f}", best.value)
    baseline = study.user_attrs["baseline_pr_auc"]
    assert cell(loaded, "baseline-value") == (f"{baseline:.4f}", baseline)
    for fold, scores in best.user_attrs["fold_scores"].items():
        for b, value in scores.items():
            assert cell(loaded, f"fold-{best.number}-{fold}-{slug(b)}") == (f"{value:.4f}", value)
    first, ensemble = results["trials"][0], results["ensemble"]
    assert first["number"] == best.number
    for b in results["behaviours"]:
        pooled = first["test"]["post"]["pooled"][b]
        assert cell(loaded, f"test-prauc-{slug(b)}") == (
            f"{pooled['pr_auc']:.4f}",
            pooled["pr_auc"],
        )
        assert cell(loaded, f"test-f1-{slug(b)}") == (f"{pooled['f1']:.4f}", pooled["f1"])
        pr_auc = ensemble["test"]["post"]["pooled"][b]["pr_auc"]
        assert cell(loaded, f"ensemble-prauc-{slug(b)}") == (f"{pr_auc:.4f}", pr_auc)
    # One PR curve per behaviour for the best trial and the ensemble, plus the no-skill line.
    n = len(results["behaviours"])
    assert page.locator("#plot-pr-curves .scatterlayer .trace").count() == 3 * n
    assert page.locator("#plot-confusion .heatmaplayer image").count() == n
    assert page.locator("#results h2").inner_text() == "Test results"


def test_cv_only_report_draws_and_says_how_to_get_test_scores(browser: Any, rats: Made) -> None:
    html = rats.out.parent / "cv_only" / "report.html"
    loaded = open_report(browser, html)
    drawn = assert_every_plot_drawn(loaded)
    assert "plot-pr-curves" not in drawn and "plot-importance" in drawn
    text = loaded.page.locator("#overview").inner_text()
    assert "No test scores yet" in text and "mbr-search evaluate" in text
    best = rats.study().best_trial
    assert cell(loaded, "best-cv-value") == (f"{best.value:.4f}", best.value)


def test_out_of_fold_report_shows_the_human_ceiling(browser: Any, sturman: Made) -> None:
    loaded = open_report(browser, sturman.out / "report.html")
    drawn = assert_every_plot_drawn(loaded)
    assert "plot-human-ceiling" in drawn
    results = sturman.results()
    assert results["cv_only"] and results["human_ceiling"]
    page = loaded.page
    assert page.locator("#results h2").inner_text() == "Out-of-fold results"
    ceiling = results["human_ceiling"]
    for b in results["behaviours"]:
        human = ceiling["behaviours"][b]["mean_f1"]
        model = ceiling["model"]["behaviours"][b]["mean_f1"]
        assert cell(loaded, f"human-f1-{slug(b)}") == (f"{human:.4f}", human)
        assert cell(loaded, f"model-vs-raters-f1-{slug(b)}") == (f"{model:.4f}", model)
        pr_auc = results["trials"][0]["oof"]["post"]["pooled"][b]["pr_auc"]
        if pr_auc is not None:
            assert cell(loaded, f"oof-prauc-{slug(b)}") == (f"{pr_auc:.4f}", pr_auc)
    bars = page.locator("#plot-human-ceiling .barlayer .point").count()
    assert bars == 2 * len(results["behaviours"])
