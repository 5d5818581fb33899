"""A trial that runs out of disk: marked FAILED, one line saying the disk is full and where,
and the next ``run`` starts at once (no RUNNING trial left to wait for)."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import optuna
import pytest
from _bad_inputs import TINY_GBDT, study_text
from _mounts import fill, tmpfs
from conftest import RAT_MINI

from mbr_search.cli.main import main


def _study(tmp_path: Path) -> Path:
    (tmp_path / "space.yaml").write_text(TINY_GBDT)
    path = tmp_path / "study.yaml"
    path.write_text(study_text(RAT_MINI))
    return path


def _states(db: Path) -> list[optuna.trial.TrialState]:
    study = optuna.load_study(study_name="bad", storage=f"sqlite:///{db}")
    return [t.state for t in study.trials]


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _resumes_at_once(study: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    begun = time.perf_counter()
    assert main(["run", str(study), "--trials", "1", "--no-progress",
                 "--storage", f"sqlite:///{db}"]) == 0  # fmt: skip
    assert "waiting for" not in capsys.readouterr().err
    assert time.perf_counter() - begun < 90  # a RUNNING trial left behind costs ~120 s
    assert _states(db).count(optuna.trial.TrialState.COMPLETE) == 1


def test_enospc_in_a_trial_fails_it_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import optuna.artifacts

    def full(**kwargs: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "art" / "x.npz"))

    monkeypatch.setattr(optuna.artifacts, "upload_artifact", full)
    study, db = _study(tmp_path), tmp_path / "s.db"
    capsys.readouterr()
    code = main(
        ["run", str(study), "--trials", "1", "--no-progress", "--storage", f"sqlite:///{db}"]
    )
    line = _one_error_line(capsys.readouterr().err)
    assert code == 2
    assert line.startswith("mbr-search: error: trial 0 failed: the disk is full (writing ")
    assert str(tmp_path / "art" / "x.npz") in line and "finished trials are kept" in line
    assert _states(db) == [optuna.trial.TrialState.FAIL]
    monkeypatch.undo()
    _resumes_at_once(study, db, capsys)


def test_a_really_full_artifact_folder_fails_the_trial_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study, db = _study(tmp_path), tmp_path / "s.db"
    with tmpfs(tmp_path / "art") as art:
        filler = fill(art)
        capsys.readouterr()
        code = main(["run", str(study), "--trials", "1", "--no-progress", "--artifacts", str(art),
                     "--storage", f"sqlite:///{db}"])  # fmt: skip
        line = _one_error_line(capsys.readouterr().err)
        assert code == 2 and "the disk is full" in line and str(art) in line, line
        assert _states(db) == [optuna.trial.TrialState.FAIL]
        filler.unlink()
    _resumes_at_once(study, db, capsys)


def test_a_full_disk_under_sqlite_is_one_line_even_behind_optunas_own_error() -> None:
    """A full disk under the SQLite file makes Optuna fail while it records the failure: the
    error that reaches the run is its internal AssertionError, the driver's error in its
    chain. The run finds that cause and says one line about the disk."""
    import sqlite3

    import sqlalchemy.exc

    from mbr_search.storage import resolve_storage, storage_cause, translate_error

    driver = sqlalchemy.exc.OperationalError(
        "UPDATE trials", {}, sqlite3.OperationalError("database or disk is full")
    )
    try:
        try:
            raise driver
        except sqlalchemy.exc.OperationalError:
            raise AssertionError("Should not reach") from None
    except AssertionError as outer:
        outer.__context__ = driver  # `from None` hides it from the display, not the chain
        assert storage_cause(outer) is driver
    assert storage_cause(ValueError("not storage")) is None
    message = str(translate_error(driver, resolve_storage("sqlite:////tmp/full/x.db")))
    assert "the disk that holds the database is full" in message and "\n" not in message
