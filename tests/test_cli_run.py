"""`mbr-search run` as a user runs it: exit codes, messages, resume, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from conftest import run_cli, write_tiny_study


def _study(db: Path, name: str = "tiny") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{db}")


@pytest.mark.slow
def test_run_then_resume_keeps_finished_trials(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    first = run_cli(
        "run", str(path), "--trials", "2", "--storage", f"sqlite:///{db}", "--no-progress"
    )
    assert first.returncode == 0, first.stderr
    assert "2/2 finished trials" in first.stdout and "Best trial #" in first.stdout
    assert "mean PR-AUC" in first.stdout and "prevalence baseline" in first.stdout
    before = {t.number: (t.params, t.value) for t in _study(db).trials}
    again = run_cli(
        "run", str(path), "--trials", "3", "--storage", f"sqlite:///{db}", "--no-progress"
    )
    assert again.returncode == 0, again.stderr
    trials = _study(db).trials
    assert len(trials) == 3 and "3/3 finished trials" in again.stdout
    for t in trials[:2]:
        assert (t.params, t.value) == before[t.number]
    done = run_cli(
        "run", str(path), "--trials", "3", "--storage", f"sqlite:///{db}", "--no-progress"
    )
    assert done.returncode == 0 and len(_study(db).trials) == 3  # target reached: no extra trial


@pytest.mark.slow
def test_default_storage_is_in_the_user_data_folder_not_the_cwd(
    tmp_path: Path, isolated_home: Path
) -> None:
    path = write_tiny_study(tmp_path)
    result = run_cli("run", str(path), "--trials", "1", "--set", "cv.max_folds=1", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert (isolated_home / "data" / "mbr_search.db").is_file()
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_keeps_finished_trials_and_marks_the_running_one_failed(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path, extra="")
    db = tmp_path / "s.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mbr_search", "run", str(path), "--trials", "50", "--storage",
         f"sqlite:///{db}", "--no-progress", "--set", "training.max_epochs=3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )  # fmt: skip
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(1)
        if db.exists():
            try:
                states = [t.state for t in _study(db).trials]
            except Exception:
                continue
            if (
                states.count(optuna.trial.TrialState.COMPLETE) >= 1
                and states[-1] == optuna.trial.TrialState.RUNNING
            ):
                break
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Run the same command again to resume" in err
    assert "Traceback" not in err
    trials = _study(db).trials
    assert trials[-1].state == optuna.trial.TrialState.FAIL
    completed = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert completed
    resumed = run_cli(
        "run",
        str(path),
        "--trials",
        str(len(completed) + 1),
        "--storage",
        f"sqlite:///{db}",
        "--no-progress",
    )
    assert resumed.returncode == 0, resumed.stderr
    after = _study(db).trials
    assert [t.value for t in after if t.state == optuna.trial.TrialState.COMPLETE][
        : len(completed)
    ] == [t.value for t in completed]


def _bad(*args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mbr-search: error: ")
    return result


def test_unknown_study_exit_2_lists_available() -> None:
    err = _bad("run", "no_such_study").stderr
    assert "unknown study 'no_such_study'" in err and "lstm_pose" in err


def test_malformed_yaml_exit_2_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndataset: [unclosed\n")
    err = _bad("run", str(bad)).stderr
    assert f"{bad}:" in err and "YAML syntax error" in err


def test_bad_set_and_bad_flags(tmp_path: Path) -> None:
    assert "expected KEY=VALUE" in _bad("run", "lstm_pose", "--set", "training.max_epochs").stderr
    assert (
        "unknown key; did you mean 'max_epochs'"
        in _bad("run", "lstm_pose", "--set", "training.max_epoch=3").stderr
    )
    assert "--trials 0: must be at least 1" in _bad("run", "lstm_pose", "--trials", "0").stderr


def test_malformed_and_unwritable_storage_urls(tmp_path: Path) -> None:
    err = _bad("run", "lstm_pose", "--storage", "postgresql://user:s3cret@/").stderr
    assert "s3cret" not in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = _bad("run", "lstm_pose", "--storage", f"sqlite:///{blocker}/sub/db.sqlite").stderr
    assert str(blocker) in err


def test_missing_embeddings_name_the_command(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    text = path.read_text().replace(
        "features: {backbone: pose}", "features: {backbone: resnet50v2, weights: none}"
    )
    path.write_text(text)
    err = _bad("run", str(path), "--trials", "1").stderr
    assert (
        "no cached resnet50v2 embeddings" in err
        and "mbr-search embed" in err
        and "--backbone resnet50v2" in err
    )


def test_labels_longer_than_pose_state_by_how_much(tmp_path: Path) -> None:
    from conftest import RAT_MINI

    root = RAT_MINI.parent
    annot = tmp_path / "long.csv"
    rows = ["social,nonsocial,aggression"] + ["1,0,0"] * 4600  # the pose has 4,500 frames
    annot.write_text("\n".join(rows) + "\n")
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(
        RAT_MINI.read_text()
        .replace("pose: dlc/", f"pose: {root}/dlc/")
        .replace("labels: annotations/1_annot.txt", f"labels: {{file: {annot}, format: frame_csv}}")
        .replace("labels: annotations/", f"labels: {root}/annotations/")
    )
    path = write_tiny_study(tmp_path, dataset=manifest)
    err = _bad("run", str(path), "--trials", "1").stderr
    assert "labels have 4600 frames, the pose/video has 4500 (labels longer by 100)" in err
    assert "tolerance is 10 frames" in err


HELP_PROBE = """
import sys
from mbr_search.cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
print("tensorflow" in sys.modules, "optuna_dashboard" in sys.modules, "plotly" in sys.modules)
"""


def test_help_does_not_import_tensorflow() -> None:
    out = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False False False"


def test_studies_lists_files_and_stored_studies(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    optuna.create_study(study_name="stored_one", storage=f"sqlite:///{db}")
    result = run_cli("studies", "--storage", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert "lstm_pose" in result.stdout and "stored_one" in result.stdout


@pytest.mark.slow
def test_recycling_the_process_keeps_the_study_going(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    result = run_cli(
        "run", str(path), "--trials", "3", "--recycle-after", "1", "--storage", f"sqlite:///{db}",
        "--no-progress", "--set", "cv.max_folds=1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Best trial #") == 1 and "3/3 finished trials" in result.stdout
    states = [t.state for t in _study(db).trials]
    assert (
        states.count(optuna.trial.TrialState.COMPLETE)
        + states.count(optuna.trial.TrialState.PRUNED)
        == 3
        and len(states) == 3
    )
