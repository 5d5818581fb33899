"""Storage rough edges: torn journals, foreign files, read-only databases, typos, drivers."""

from __future__ import annotations

import gc
import logging
import shutil
import sqlite3
import sys
import tomllib
from contextlib import closing
from pathlib import Path

import optuna
import pytest
from _evaluated import Searched, searched_study, shared_base
from _mounts import fill, remount_read_only, tmpfs
from conftest import REPO, run_cli, write_tiny_study

from mbr_search.errors import StorageError
from mbr_search.storage import load_or_create_study, open_storage, resolve_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)
TORN = b'{"op_code":5,"worker_id":"dead-worker","trial_id":1,"param_na'


def _journal_study(path: Path, n_trials: int = 2) -> optuna.Study:
    spec = resolve_storage(f"journal://{path}")
    study = load_or_create_study(open_storage(spec), study_name="j", sampler=None, pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials)
    return study


def _plain_optuna_trials(path: Path) -> int:
    """Read the journal with stock Optuna: what any other tool would see."""
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    storage = JournalStorage(JournalFileBackend(str(path)))
    return len(optuna.load_study(study_name="j", storage=storage).trials)


def test_torn_journal_tail_is_cut_with_a_warning_before_the_next_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "study.log"
    _journal_study(log)
    complete = log.read_bytes()
    with log.open("ab") as handle:
        handle.write(TORN)  # a worker killed in the middle of a write
    with caplog.at_level(logging.WARNING, logger="mbr_search.storage._journal"):
        study = _journal_study(log, n_trials=1)
    assert any("last record was cut short" in r.getMessage() for r in caplog.records)
    assert f"{len(TORN)} bytes" in caplog.text
    assert len(study.trials) == 3
    data = log.read_bytes()
    assert data.startswith(complete) and data.endswith(b"\n") and TORN not in data
    assert _plain_optuna_trials(log) == 3


def test_tail_torn_by_another_worker_while_this_one_runs(tmp_path: Path) -> None:
    log = tmp_path / "study.log"
    study = _journal_study(log)
    with log.open("ab") as handle:
        handle.write(TORN)  # another process dies mid-write while this one still runs
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert TORN not in log.read_bytes()
    assert _plain_optuna_trials(log) == 4


def test_journal_write_on_a_full_disk_is_undone(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small") as small:
        log = small / "study.log"
        study = _journal_study(log)
        trial = study.ask()
        before = log.read_bytes()
        filler = fill(small)
        with pytest.raises(StorageError) as err:
            trial.set_user_attr("notes", "x" * 50_000)  # needs new blocks: a short write
        message = str(err.value)
        assert "writing the journal failed (No space left on device)" in message
        assert "journal is intact" in message and "\n" not in message
        assert log.read_bytes() == before
        filler.unlink()
        trial.set_user_attr("notes", "fits now")
        study.tell(trial, 0.5)
        assert _plain_optuna_trials(log) == 3


def test_init_refuses_a_file_that_is_not_a_journal_and_leaves_it_alone(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path / "st")
    notes = tmp_path / "notes.txt"
    notes.write_text("my lab notes\n")
    for command in ("init", "run"):
        res = run_cli(command, str(study), "--storage", f"journal://{notes}")
        assert res.returncode == 2, res.stderr
        assert "is not an Optuna journal" in res.stderr and "nothing was written" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert notes.read_text() == "my lab notes\n"
    single = tmp_path / "one.log"
    single.write_bytes(b'{"op_code":0,"worker_id":"w","study_name":"a","direct')
    spec = resolve_storage(f"journal://{single}")  # a journal whose first write was torn
    load_or_create_study(open_storage(spec), study_name="a", sampler=None, pruner=None)
    repaired = single.read_bytes()
    assert repaired.startswith(b'{"op_code":0,') and b"direct\n" not in repaired


def _sqlite_study(path: Path) -> None:
    storage = open_storage(resolve_storage(f"sqlite:///{path}"))
    study = load_or_create_study(storage, study_name="ro_demo", sampler=None, pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    storage.engine.dispose()  # type: ignore[attr-defined]
    del study, storage
    gc.collect()


def test_studies_reads_a_database_on_a_read_only_filesystem(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "archive", size="8m") as archive:
        _sqlite_study(archive / "s.db")
        _journal_study(archive / "j.log")
        remount_read_only(archive)
        before = sorted(p.name for p in archive.iterdir())
        res = run_cli("studies", "--storage", f"sqlite:///{archive / 's.db'}")
        assert res.returncode == 0, res.stderr
        assert "ro_demo" in res.stdout and "2 trials" in res.stdout
        res = run_cli("studies", "--storage", f"journal://{archive / 'j.log'}")
        assert res.returncode == 0, res.stderr
        assert "2 trials" in res.stdout
        assert sorted(p.name for p in archive.iterdir()) == before


def _archive_copy(searched: Searched, archive: Path) -> str:
    """A consistent copy (SQLite's backup API) of the searched study's database, in WAL
    mode as ``run`` leaves it, and its artifacts beside it, in ``archive``; closed before
    the caller remounts read-only. Returns the copy's URL."""
    source = searched.storage.removeprefix("sqlite:///")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(archive / "s.db")) as dst:
        src.backup(dst)
        assert dst.execute("PRAGMA journal_mode=wal").fetchone()[0] == "wal"
    artifacts = Path(source + ".artifacts")
    if artifacts.is_dir():
        shutil.copytree(artifacts, archive / "s.db.artifacts")
    return f"sqlite:///{archive / 's.db'}"


@pytest.mark.slow
def test_report_reads_a_searched_study_on_a_read_only_filesystem(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The session's real searched study (tests/_evaluated.py), archived onto the tmpfs.
    searched = searched_study(shared_base(tmp_path_factory))
    study = searched.study
    with tmpfs(tmp_path / "archive", size="16m") as archive:
        storage = _archive_copy(searched, archive)
        remount_read_only(archive)
        before = sorted(p.name for p in archive.iterdir())
        out = tmp_path / "report"
        res = run_cli("report", str(study), "--storage", storage, "--out", str(out))
        assert res.returncode == 0, res.stderr
        assert (out / "report.html").stat().st_size > 10_000
        assert sorted(p.name for p in archive.iterdir()) == before


def test_studies_with_a_typo_creates_nothing(tmp_path: Path) -> None:
    for url, what in (
        (f"sqlite:///{tmp_path}/typo/dir/s.db", "no such database file"),
        (f"journal://{tmp_path}/typo/dir/j.log", "no such journal file"),
    ):
        res = run_cli("studies", "--storage", url)
        assert res.returncode == 2, res.stderr
        assert what in res.stderr and "nothing was created" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "typo").exists()
    res = run_cli("studies")  # the default file, not made yet: an empty list, not an error
    assert res.returncode == 0 and "(none yet" in res.stdout


def test_port_out_of_range_is_a_clear_error() -> None:
    for port in ("70000", "0"):
        with pytest.raises(StorageError) as err:
            resolve_storage(f"postgresql://mbr:pw-secret@db-host:{port}/studies")
        message = str(err.value)
        assert f"port {port} is out of range: use a port from 1 to 65535" in message
        assert "pw-secret" not in message
    res = run_cli("studies", "--storage", "mysql+pymysql://u@127.0.0.1:99999/db")
    assert res.returncode == 2 and "port 99999 is out of range" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_postgres_driver_suggests_a_fix_that_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in ("psycopg2", "psycopg"):
        monkeypatch.setitem(sys.modules, module, None)  # not installed, as far as imports go
    spec = resolve_storage("postgresql://mbr@127.0.0.1:5432/studies")
    assert spec.url.startswith("postgresql+psycopg2://")  # the driver mbr-search ships
    with pytest.raises(StorageError) as err:
        open_storage(spec)
    message = str(err.value)
    assert "'psycopg2' is not installed" in message
    assert f"`{sys.executable} -m pip install psycopg2-binary`" in message
    assert "postgresql+psycopg" not in message.split("install", 1)[1]  # no uninstalled driver
    assert "\n" not in message


def test_psycopg2_binary_is_a_default_dependency() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("psycopg2-binary") for d in project["dependencies"])
