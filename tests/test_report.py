"""`mbr-search report` without a browser: files, Markdown tables, best_config.yaml, errors.

The study is made by really running a tiny search (and, for the test-score parts, the real
`mbr-search evaluate`) once per session, shared with the other modules (tests/_evaluated.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
import yaml
from _evaluated import Evaluated, searched_study, shared_base
from _shared import md_table
from conftest import run_cli, write_tiny_study

from mbr_search.config.study import load_study

try:  # tests/ as a package or as rootdir-relative modules (as test_storage.py does)
    from tests._postgres import PASSWORD, PostgresServer
except ImportError:
    from _postgres import PASSWORD, PostgresServer  # type: ignore[no-redef]

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass(frozen=True)
class Searched:
    study: Path
    storage: str
    root: Path

    def load(self, name: str = "tiny") -> optuna.Study:
        return optuna.load_study(study_name=name, storage=self.storage)


@pytest.fixture
def searched(tmp_path_factory: pytest.TempPathFactory) -> Searched:
    """The session's real tiny search on the bundled rat videos (tests/_evaluated.py): 4
    trials, run with a ``--set`` that best_config.yaml must carry over."""
    shared = searched_study(shared_base(tmp_path_factory))
    return Searched(shared.study, shared.storage, shared.base)


def _report(searched: Searched, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("report", str(searched.study), "--storage", searched.storage, *extra)


@pytest.mark.slow
def test_cv_only_report_shows_the_study_and_says_how_to_get_test_scores(
    searched: Searched, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _report(searched, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"mbr-search evaluate {searched.study} --out {out}" in result.stdout
    for name in ("report.html", "report.md", "best_config.yaml", "best_space.yaml"):
        assert (out / name).is_file(), name
    study = searched.load()
    best = study.best_trial
    md = (out / "report.md").read_text()
    overview = dict(md_table(md, "Study overview")[1:])
    assert overview["Best CV mean PR-AUC"] == f"{best.value:.4f}"
    assert overview["Best trial"] == f"#{best.number}"
    assert overview["Prevalence baseline (no-skill PR-AUC)"] == (
        f"{study.user_attrs['baseline_pr_auc']:.4f}"
    )
    assert "No test scores yet" in md and "mbr-search evaluate" in md
    # The fold-by-fold table holds the objective's own per-fold, per-behaviour scores.
    folds = md_table(md, f"Trial #{best.number}: PR-AUC per fold")
    behaviours = study.user_attrs["behaviours"]
    assert folds[0] == ["fold", "validation videos", *behaviours, "mean"]
    stored = best.user_attrs["fold_scores"]
    assert [r[0] for r in folds[1:-1]] == sorted(stored)
    for r in folds[1:-1]:
        assert r[2:-1] == [f"{stored[r[0]][b]:.4f}" for b in behaviours]
    assert folds[-1][-1] == f"{best.value:.4f}"
    # report.md holds exactly the tables of report.html.
    html = (out / "report.html").read_text()
    captions = re.findall(r"<caption>(.*?)</caption>", html)
    assert captions and [t.replace("&#x27;", "'") for t in captions] == re.findall(
        r"^\*\*(.*)\*\*$", md, flags=re.M
    )
    assert html.count("<script") == 1 + html.count('class="plotly-graph-div"')
    assert "cdn.plot.ly" not in html.split("</head>", 1)[1]


@pytest.mark.slow
def test_report_never_imports_tensorflow(searched: Searched, tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from mbr_search.cli.main import main\n"
        "t = time.perf_counter()\n"
        f"rc = main(['report', {str(searched.study)!r}, '--storage', {searched.storage!r},"
        f" '--out', {str(tmp_path / 'out')!r}])\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'tcn') if m in sys.modules)\n"
        "print('RESULT', rc, heavy, round(time.perf_counter() - t, 1))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
    assert line.startswith("RESULT 0 []"), line


@pytest.mark.slow
def test_default_out_is_reports_study_in_the_cwd(searched: Searched) -> None:
    result = _report(searched)
    assert result.returncode == 0, result.stderr
    assert (Path.cwd() / "reports" / "tiny" / "report.html").is_file()
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["reports"]


@pytest.mark.slow
def test_best_config_reruns_the_winner_as_one_trial(searched: Searched, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _report(searched, "--out", str(out)).returncode == 0
    best = searched.load().best_trial
    cfg = load_study(str(out / "best_config.yaml"))
    # Every resolved hyperparameter is fixed; the family is the space's model.
    fixed = {**dict(cfg.space.fixed), "model": cfg.space.model}
    assert cfg.space.params == () and fixed == best.user_attrs["resolved_params"]
    assert (cfg.sampler.name, cfg.pruner.name, cfg.trials) == ("grid", "none", 1)
    assert cfg.study_name == f"tiny_trial{best.number}"
    searched_cfg = load_study(str(searched.study), overrides={"training.patience": 2})
    assert (cfg.cv, cfg.training, cfg.seed) == (searched_cfg.cv, searched_cfg.training, 0)
    assert cfg.training.patience == 2 != load_study(str(searched.study)).training.patience
    storage = f"sqlite:///{tmp_path / 'rerun.db'}"
    for _ in range(2):  # the second run finds its one trial done and adds nothing
        result = run_cli(
            "run", str(out / "best_config.yaml"), "--storage", storage, "--no-progress"
        )
        assert result.returncode == 0, result.stderr
    trials = optuna.load_study(study_name=cfg.study_name, storage=storage).trials
    assert len(trials) == 1 and trials[0].state == optuna.trial.TrialState.COMPLETE
    rerun = trials[0]
    assert rerun.user_attrs["resolved_params"] == best.user_attrs["resolved_params"]
    assert sorted(rerun.user_attrs["fold_scores"]) == sorted(best.user_attrs["fold_scores"])
    # Same data, folds and hyperparameters; only the Keras seed differs (trial number).
    assert rerun.value == pytest.approx(best.value, abs=0.1)


def _storage_with(tmp_path: Path, make: str) -> str:
    storage = f"sqlite:///{tmp_path / 'made.db'}"
    study = optuna.create_study(study_name=make, storage=storage, direction="maximize")
    trial = study.ask()
    trial.report(0.1, step=0)
    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return storage


def test_missing_storage_study_or_complete_trial_are_one_line_errors(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path / "studies")
    missing = tmp_path / "none.db"
    result = run_cli("report", str(study), "--storage", f"sqlite:///{missing}")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not missing.exists()

    storage = _storage_with(tmp_path, "other")
    result = run_cli("report", str(study), "--storage", storage)
    assert result.returncode == 2, result.stderr
    assert "study 'tiny' is not in storage" in result.stderr and "other" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    result = run_cli("report", str(study), "--storage", storage, "--study-name", "other")
    assert result.returncode == 2 and "no complete trial" in result.stderr
    assert "1 pruned" in result.stderr and "mbr-search run" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (Path.cwd() / "reports").exists()


@pytest.mark.slow
def test_unusable_results_json_is_a_one_line_error(searched: Searched, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text('{"schema_version": 1, "trials": [')
    result = _report(searched, "--out", str(out))
    assert result.returncode == 2 and "results.json:1: not valid JSON" in result.stderr
    assert "mbr-search evaluate" in result.stderr and len(result.stderr.splitlines()) == 1
    (out / "results.json").write_text(
        json.dumps({"schema_version": 1, "study_name": "someone_else", "trials": []})
    )
    result = _report(searched, "--out", str(out))
    assert result.returncode == 2 and "written for study 'someone_else'" in result.stderr
    assert not (out / "report.html").exists()


@pytest.mark.slow
def test_report_with_evaluate_results(
    searched: Searched, evaluated: Evaluated, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(evaluated.out, out)  # the shared one stays as evaluate wrote it
    result = _report(searched, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "No test scores yet" not in result.stdout
    results = json.loads((out / "results.json").read_text())
    first, ens = results["trials"][0], results["ensemble"]
    md = (out / "report.md").read_text()
    summary = md_table(md, f"Trial #{first['number']} (rank 1) on the test videos")
    assert [r[0] for r in summary[1:]] == results["behaviours"]
    col = summary[0].index("test PR-AUC")
    ens_col = summary[0].index("ensemble test PR-AUC")
    for r in summary[1:]:
        pooled = first["test"]["post"]["pooled"][r[0]]
        assert r[col] == f"{pooled['pr_auc']:.4f}"
        assert r[summary[0].index("F1")] == f"{pooled['f1']:.4f}"
        assert r[ens_col] == f"{ens['test']['post']['pooled'][r[0]]['pr_auc']:.4f}"
    # The thesis' per-behaviour tables: metrics as rows, every model as a column.
    b = results["behaviours"][0]
    thesis = md_table(md, f"{b}: test videos")
    assert thesis[0][1:] == [f"trial #{t['number']}" for t in results["trials"]] + [
        "ensemble (" + ", ".join(f"#{m}" for m in ens["members"]) + ")"
    ]
    recall = next(r for r in thesis if r[0] == "Recall")
    assert recall[1] == f"{first['test']['post']['pooled'][b]['recall']:.4f}"
    post = md_table(md, "Post-processing effect")
    row = next(r for r in post if r[:2] == [f"trial #{first['number']}", b])
    assert row[6:8] == [
        f"{first['test'][stage]['pooled'][b]['f1']:.4f}" for stage in ("raw", "post")
    ]
    assert "Compute time" in md and "Human ceiling" not in md  # the rat labels have one rater
    html = (out / "report.html").read_text()
    for video in results["dataset"]["test_videos"]:
        assert f'id="plot-ethogram-{video}"' in html
    for key in ("pr-curves", "confusion", "postprocess", "history", "parallel"):
        assert f'id="plot-{key}"' in html


@pytest.mark.slow
@pytest.mark.needs_postgres
def test_passwords_never_reach_the_report(
    searched: Searched, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = postgres_server.create_database("report_pw")
    optuna.copy_study(
        from_study_name="tiny", from_storage=searched.storage, to_storage=url
    )  # the real study, now in a password-protected database
    study = write_tiny_study(tmp_path / "studies", extra=f"storage: {url}\n")
    out = tmp_path / "out"
    result = run_cli("report", str(study), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert PASSWORD in url and PASSWORD not in result.stdout + result.stderr
    for path in out.iterdir():
        assert PASSWORD not in path.read_text(), path.name
    assert "postgres:***@" in (out / "report.md").read_text()
    assert "storage" not in yaml.safe_load((out / "best_config.yaml").read_text())
