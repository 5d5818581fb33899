"""`mbr-search run` as a user runs it: exit codes, messages, resume, Ctrl-C."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import optuna
import pytest
from _shared import loaded_by_help
from conftest import run_cli, with_user_ctrl_c, write_tiny_study


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


def _stop_mid_trial(path: Path, db: Path, sig: signal.Signals) -> tuple[int, str]:
    """Start a long run, send ``sig`` once a trial is complete and the next one is running;
    the run's exit code and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mbr_search", "run", str(path), "--trials", "50", "--storage",
         f"sqlite:///{db}", "--no-progress", "--set", "training.max_epochs=3",
         "--set", "cv.max_folds=1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        preexec_fn=with_user_ctrl_c,
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
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_keeps_finished_trials_and_marks_the_running_one_failed(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    path = write_tiny_study(tmp_path, extra="")
    db = tmp_path / "s.db"
    returncode, err = _stop_mid_trial(path, db, sig)
    assert returncode == code, err
    assert "Run the same command again to resume" in err
    assert "Traceback" not in err
    trials = _study(db).trials
    assert trials[-1].state == optuna.trial.TrialState.FAIL
    completed = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert completed
    resumed = run_cli(
        "run", str(path), "--trials", str(len(completed) + 1), "--storage", f"sqlite:///{db}",
        "--no-progress", "--set", "cv.max_folds=1",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    # no RUNNING trial was left: the resumed run never waits out the heartbeat grace period
    assert "waiting for" not in resumed.stderr
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


def test_help_does_not_import_tensorflow() -> None:
    assert loaded_by_help(["tensorflow", "optuna_dashboard", "plotly"]) == []


def test_studies_lists_files_and_stored_studies(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    optuna.create_study(study_name="stored_one", storage=f"sqlite:///{db}")
    result = run_cli("studies", "--storage", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert "lstm_pose" in result.stdout and "stored_one" in result.stdout


#: A ``sitecustomize`` that records every start of a Python interpreter (``os.execv``
#: included) in the file named by ``$MBR_TEST_STARTS``.
STARTS_HOOK = """\
import os
if os.environ.get("MBR_TEST_STARTS"):
    with open(os.environ["MBR_TEST_STARTS"], "a") as handle:
        handle.write(f"{os.getpid()}\\n")
"""


@pytest.mark.slow
def test_recycling_the_process_keeps_the_study_going(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    site, starts = tmp_path / "site", tmp_path / "starts.txt"
    site.mkdir()
    (site / "sitecustomize.py").write_text(STARTS_HOOK)
    path_env = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    result = run_cli(
        "run", str(path), "--trials", "2", "--recycle-after", "1", "--storage", f"sqlite:///{db}",
        "--no-progress", "--set", "cv.max_folds=1",
        env={"PYTHONPATH": path_env, "MBR_TEST_STARTS": str(starts)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Best trial #") == 1 and "2/2 finished trials" in result.stdout
    # One trial per interpreter: the process replaced itself (same PID) after the first.
    pids = starts.read_text().split()
    assert len(pids) == 2 and len(set(pids)) == 1, pids
    states = [t.state for t in _study(db).trials]
    assert (
        states.count(optuna.trial.TrialState.COMPLETE)
        + states.count(optuna.trial.TrialState.PRUNED)
        == 2
        and len(states) == 2
    )


# --- pruning, --workers and --timeout through the real CLI ---------------------------------

#: One searched value decides a trial: a learning rate that learns (3e-2, mean PR-AUC ~0.56
#: on both folds) or one that leaves the random initial weights (1e-9, ~0.30).
PRUNE_SPACE = """\
name: prune_lstm
model: lstm
params:
  learning_rate: {type: categorical, choices: [3.0e-2, 1.0e-9]}
fixed:
  lstm_units: 8
  seq_len: 150
  batch_size: 16
  lstm_layers: 1
  dropout: 0.1
  multi_label: true
"""


def _edit(path: Path, **replacements: str) -> None:
    text = path.read_text()
    for old, new in replacements.items():
        line = next((ln for ln in text.splitlines() if ln.startswith(f"{old}:")), None)
        assert line is not None, f"no '{old}:' line in {path}"
        text = text.replace(line, f"{old}: {new}")
    path.write_text(text)


def _pruning_study(folder: Path, pruner: str) -> Path:
    """2 folds, 5 epochs, a 2-point grid whose order the fixed seed makes good-then-bad
    (GridSampler with seed 1 draws 3e-2 first), and the YAML ``pruner`` under test."""
    path = write_tiny_study(folder, name="prune")
    (folder / "prune_space.yaml").write_text(PRUNE_SPACE)
    _edit(
        path, space="prune_space.yaml", sampler="{name: grid}", pruner=pruner,
        training="{max_epochs: 5, patience: 5}", seed="1",
    )  # fmt: skip
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pruner", "pruned_steps"),
    [
        # Median: after 1 complete trial, from fold 0 on, below the median -> pruned at once.
        ("{name: median, pruned_as: pruned, n_startup_trials: 1, n_warmup_steps: 0}", [0]),
        # Wilcoxon against the best trial needs 2 paired folds; two losses give the exact
        # one-sided p = 1/4 < 0.3, so it prunes after the second fold, never the first.
        ("{name: wilcoxon, pruned_as: pruned, p_threshold: 0.3, n_warmup_steps: 2}", [0, 1]),
    ],
    ids=["median", "wilcoxon"],
)
def test_yaml_pruner_prunes_the_clearly_worse_trial(
    tmp_path: Path, pruner: str, pruned_steps: list[int]
) -> None:
    path = _pruning_study(tmp_path, pruner)
    db = tmp_path / "s.db"
    result = run_cli("run", str(path), "--trials", "2", "--storage", f"sqlite:///{db}",
                     "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2/2 finished trials (1 complete, 1 pruned, 0 failed)" in result.stdout
    good, bad = _study(db, "prune").trials
    assert (good.state, bad.state) == (optuna.trial.TrialState.COMPLETE,
                                       optuna.trial.TrialState.PRUNED)  # fmt: skip
    assert good.params == {"learning_rate": 3.0e-2} and bad.params == {"learning_rate": 1.0e-9}
    assert list(good.intermediate_values) == [0, 1]
    assert list(bad.intermediate_values) == pruned_steps
    assert list(bad.user_attrs["fold_scores"]) == [str(s) for s in pruned_steps]
    for step in pruned_steps:  # clearly worse at every step it reached
        assert bad.intermediate_values[step] < good.intermediate_values[step] - 0.1
    # Optuna keeps a pruned trial's last report as its value; no out-of-fold file is saved.
    assert bad.value == bad.intermediate_values[pruned_steps[-1]]
    assert "oof_artifact_id" not in bad.user_attrs and "oof_artifact_id" in good.user_attrs


def _finished(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return [t for t in trials if t.state in done]


@pytest.mark.slow
def test_two_workers_share_one_study_and_stop_at_the_target(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    result = run_cli(
        "run", str(path), "--trials", "4", "--workers", "2", "--storage", f"sqlite:///{db}",
        "--no-progress", "--set", "cv.max_folds=1", "--set", "pruner.name=none",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Best trial #") == 1  # one summary, from worker 0
    assert "4/4 finished trials" in result.stdout
    trials = _study(db).trials
    states = [t.state for t in trials]
    assert len(_finished(trials)) == 4, states
    assert optuna.trial.TrialState.RUNNING not in states, states
    assert optuna.trial.TrialState.WAITING not in states, states
    # A trial beyond the target (both workers starting the last one) is refused, not counted.
    for t in trials:
        if t.state == optuna.trial.TrialState.FAIL:
            assert "surplus" in t.user_attrs["fail_reason"], t.user_attrs
    # Two processes really trained at once: some trial started before another one ended.
    spans = sorted((t.datetime_start, t.datetime_complete) for t in _finished(trials))
    assert any(b[0] < a[1] for a, b in itertools.combinations(spans, 2)), spans


@pytest.mark.slow
def test_timeout_stops_starting_trials(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    db = tmp_path / "s.db"
    timeout = 15.0
    result = run_cli(
        "run", str(path), "--trials", "50", "--timeout", str(timeout), "--storage",
        f"sqlite:///{db}", "--no-progress", "--set", "cv.max_folds=1",
    )  # fmt: skip
    ended = datetime.now()
    assert result.returncode == 0, result.stderr
    trials = _study(db).trials
    finished = _finished(trials)
    assert 1 <= len(finished) < 50 and len(finished) == len(trials), [t.state for t in trials]
    assert f"{len(finished)}/50 finished trials" in result.stdout
    starts = [t.datetime_start for t in trials]
    # Every trial starts inside [run start, run start + timeout]; the one running at the
    # deadline finishes, and then the run ends instead of starting another.
    assert (max(starts) - min(starts)).total_seconds() < timeout
    last_end = max(t.datetime_complete for t in trials)
    assert (ended - last_end).total_seconds() < 15, (ended, last_end)


def test_bad_timeout_and_workers_are_usage_errors() -> None:
    assert "--timeout 0.0: must be a positive" in _bad("run", "lstm_pose", "--timeout", "0").stderr
    assert "--workers 0: must be at least 1" in _bad("run", "lstm_pose", "--workers", "0").stderr
