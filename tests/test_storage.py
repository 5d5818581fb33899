"""mbr_search.storage against real SQLite files, journal files and a real PostgreSQL server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

from mbr_search.errors import MbrSearchError, StorageError, UsageError
from mbr_search.storage import (
    load_or_create_study,
    open_storage,
    reap_stale_trials,
    redact_url,
    resolve_storage,
)
from mbr_search.training.threads import threads_per_worker

try:  # tests/ as a package (tests/__init__.py) or as plain rootdir-relative modules
    from tests._postgres import PASSWORD, PostgresServer
except ImportError:
    from _postgres import PASSWORD, PostgresServer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
SECRET = "Hunter2-xq9"

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBR_SEARCH_HOME", str(tmp_path / "home"))
    for name in ("MBR_SEARCH_DB_PASSWORD", "MBR_SEARCH_DB_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("MBR_SEARCH_HEARTBEAT_INTERVAL", "MBR_SEARCH_GRACE_PERIOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# --- URLs --------------------------------------------------------------------------------


def test_default_is_sqlite_in_mbr_search_home(tmp_path: Path) -> None:
    spec = resolve_storage(None)
    expected = tmp_path / "home" / "data" / "mbr_search.db"
    assert spec.kind == "sqlite"
    assert spec.url == spec.display == f"sqlite:///{expected}"
    assert expected.parent.is_dir()


def test_sqlite_relative_path_becomes_absolute(tmp_path: Path) -> None:
    spec = resolve_storage("sqlite:///runs/a.db")
    assert spec.url == f"sqlite:///{tmp_path / 'runs' / 'a.db'}"
    assert spec.path == tmp_path / "runs" / "a.db"
    assert resolve_storage(f"sqlite:///{tmp_path}/b.db").path == tmp_path / "b.db"


def test_postgres_url_is_parsed_and_redacted() -> None:
    spec = resolve_storage(f"postgresql+psycopg2://mbr:{SECRET}@db-host:5433/studies")
    assert spec.kind == "postgresql"
    assert SECRET in spec.url
    assert spec.display == "postgresql+psycopg2://mbr:***@db-host:5433/studies"
    assert SECRET not in repr(spec) and SECRET not in str(spec)
    # libpq's "postgres://" spelling is accepted; mysql and mariadb map to "mysql".
    assert resolve_storage("postgres://u@h/db").url.endswith("://u@h/db")
    assert resolve_storage("postgres://u@h/db").url.startswith("postgresql")
    assert resolve_storage("mysql+pymysql://u:p@h/db").kind == "mysql"


def test_journal_url(tmp_path: Path) -> None:
    spec = resolve_storage(f"journal://{tmp_path}/j/study.log")
    assert spec.kind == "journal"
    assert spec.path == tmp_path / "j" / "study.log"
    assert (tmp_path / "j").is_dir()


def test_redact_url_hides_every_password() -> None:
    text = (
        "a postgresql://u:p%40ss@h/db and 'mysql+pymysql://root:x@y@host:3306/d', "
        "plus sqlite:///no/password.db and https://user@example.org/x"
    )
    out = redact_url(text)
    assert "p%40ss" not in out and "x@y" not in out
    assert "postgresql://u:***@h/db" in out
    assert "mysql+pymysql://root:***@host:3306/d" in out
    assert "sqlite:///no/password.db" in out and "https://user@example.org/x" in out


def test_password_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBR_SEARCH_DB_PASSWORD", SECRET)
    spec = resolve_storage("postgresql+psycopg2://mbr@db-host/studies")
    assert spec.url == f"postgresql+psycopg2://mbr:{SECRET}@db-host/studies"
    assert SECRET not in spec.display
    # A password that arrived outside any URL is still scrubbed from free text.
    assert SECRET not in redact_url(f"driver said: bad password {SECRET}")


def test_password_file_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBR_SEARCH_DB_PASSWORD", "from-env")
    secret_file = tmp_path / "pw.txt"
    secret_file.write_text(f"{SECRET}\n")
    pg = "postgresql+psycopg2"
    spec = resolve_storage(f"{pg}://mbr@h/db", password_file=secret_file)
    assert spec.url == f"{pg}://mbr:{SECRET}@h/db"
    monkeypatch.setenv("MBR_SEARCH_DB_PASSWORD_FILE", str(secret_file))
    assert resolve_storage(f"{pg}://mbr@h/db").url == spec.url
    # A password in the URL itself is never replaced.
    assert resolve_storage(f"{pg}://mbr:own@h/db").url == f"{pg}://mbr:own@h/db"


def test_bare_postgresql_url_gets_an_installed_driver() -> None:
    # SQLAlchemy 2.1 maps postgresql:// to psycopg 3; without it, psycopg2 (the driver
    # mbr-search depends on) must be named, installed or not, so a missing-driver error
    # asks for psycopg2-binary.
    import importlib.util

    url = resolve_storage("postgresql://u@h/db").url
    if importlib.util.find_spec("psycopg") is None:
        assert url == "postgresql+psycopg2://u@h/db"
    else:
        assert url == "postgresql://u@h/db"


def test_missing_driver_is_named(tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("MySQLdb") is not None:
        pytest.skip("mysqlclient is installed here")
    with pytest.raises(StorageError, match="'MySQLdb' is not installed: pip install mysqlclient"):
        open_storage(resolve_storage("mysql://u:pw@127.0.0.1:1/db"))


def test_missing_password_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as info:
        resolve_storage("postgresql://mbr@h/db", password_file=tmp_path / "nope")
    assert "nope" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("mbr_search.db", "sqlite:///"),
        ("study.log", "journal://"),
        (f"redis://u:{SECRET}@h/0", "postgresql+psycopg2://"),
        (f"postgresql://u:{SECRET}@/db", "names no host"),
        (f"postgresql://u:{SECRET}@host", "names no database"),
        (f"postgresql://u:{SECRET}@host:port/db", "postgresql+psycopg2://user@db-host"),
        ("sqlite://somehost/x.db", "sqlite:////absolute"),
        ("journal://", "journal:///path/to/study.log"),
    ],
)
def test_malformed_urls_raise_usage_errors(url: str, hint: str) -> None:
    with pytest.raises(StorageError) as info:
        resolve_storage(url)
    message = str(info.value)
    assert isinstance(info.value, UsageError) and isinstance(info.value, MbrSearchError)
    assert info.value.exit_code == 2
    assert hint in message and "\n" not in message
    assert SECRET not in message


def test_unwritable_sqlite_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="a_file. is a file"):
        resolve_storage(f"sqlite:///{blocker}/sub/x.db")
    with pytest.raises(StorageError, match="is a folder"):
        resolve_storage(f"sqlite:///{tmp_path}")


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not a SQLite database"):
        open_storage(resolve_storage(f"sqlite:///{junk}"))


# --- opening and using storages ----------------------------------------------------------


def test_sqlite_storage_uses_wal_and_heartbeat(tmp_path: Path) -> None:
    spec = resolve_storage(f"sqlite:///{tmp_path}/s.db")
    storage = open_storage(spec, heartbeat_interval=7, grace_period=30)
    assert isinstance(storage, optuna.storages.RDBStorage)
    assert storage.get_heartbeat_interval() == 7
    assert storage.grace_period == 30
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    study = load_or_create_study(storage, study_name="s", sampler=None, pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    again = load_or_create_study(open_storage(spec), study_name="s", sampler=None, pruner=None)
    assert len(again.trials) == 3


def test_heartbeat_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = resolve_storage(f"sqlite:///{tmp_path}/s.db")
    monkeypatch.setenv("MBR_SEARCH_HEARTBEAT_INTERVAL", "2")
    monkeypatch.setenv("MBR_SEARCH_GRACE_PERIOD", "5")
    storage = open_storage(spec)
    assert storage.get_heartbeat_interval() == 2  # type: ignore[attr-defined]
    assert storage.grace_period == 5  # type: ignore[attr-defined]
    assert open_storage(spec, heartbeat_interval=None).get_heartbeat_interval() is None  # type: ignore[attr-defined]
    monkeypatch.setenv("MBR_SEARCH_GRACE_PERIOD", "soon")
    with pytest.raises(UsageError, match="MBR_SEARCH_GRACE_PERIOD"):
        open_storage(spec)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_stale_trial_is_failed_and_requeued(tmp_path: Path) -> None:
    """A trial whose worker stopped beating becomes FAIL and its params run again."""
    spec = resolve_storage(f"sqlite:///{tmp_path}/hb.db")
    storage = open_storage(spec, heartbeat_interval=1, grace_period=2)
    study = load_or_create_study(storage, study_name="hb", sampler=None, pruner=None)
    dead = study.ask()
    dead.suggest_float("x", 0, 1)
    storage.record_heartbeat(dead._trial_id)  # type: ignore[attr-defined]
    time.sleep(3.5)  # the "worker" is gone: no more heartbeats past the grace period
    reap_stale_trials(study)
    trials = study.get_trials(deepcopy=False)
    assert trials[0].state == optuna.trial.TrialState.FAIL
    assert [t.state for t in trials[1:]] == [optuna.trial.TrialState.WAITING]
    assert trials[1].params == trials[0].params
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    rerun = study.get_trials(deepcopy=False)[1]
    assert rerun.state == optuna.trial.TrialState.COMPLETE
    assert rerun.params == trials[0].params
    assert rerun.system_attrs["failed_trial"] == 0


def test_direction_mismatch_is_an_error(tmp_path: Path) -> None:
    storage = open_storage(resolve_storage(f"sqlite:///{tmp_path}/d.db"))
    load_or_create_study(storage, study_name="d", sampler=None, pruner=None)
    with pytest.raises(StorageError, match="created to maximize, not minimize"):
        load_or_create_study(
            storage, study_name="d", sampler=None, pruner=None, direction="minimize"
        )


def test_journal_storage_round_trip(tmp_path: Path) -> None:
    spec = resolve_storage(f"journal://{tmp_path}/study.log")
    study = load_or_create_study(open_storage(spec), study_name="j", sampler=None, pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    reopened = optuna.load_study(study_name="j", storage=open_storage(spec))
    assert len(reopened.trials) == 4
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in reopened.trials)


def test_journal_file_that_is_not_a_journal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text("hello\nworld\n")
    with pytest.raises(StorageError, match="not an Optuna journal"):
        open_storage(resolve_storage(f"journal://{bad}"))


def test_threads_per_worker() -> None:
    assert threads_per_worker(1, cores=8) is None  # TF defaults are best alone
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(3, cores=8) == 2
    assert threads_per_worker(16, cores=4) == 1


@pytest.mark.slow
def test_configure_threads_sets_tensorflow_pools(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from mbr_search.training.threads import configure_threads, cpu_count
        configure_threads(2)
        import tensorflow as tf
        print(tf.config.threading.get_intra_op_parallelism_threads(),
              tf.config.threading.get_inter_op_parallelism_threads(), cpu_count())
        """
    )
    env = _child_env(tmp_path)
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        env.pop(name, None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout.split()  # fmt: skip
    intra, inter, cores = (int(x) for x in out[-3:])
    assert (intra, inter) == (max(1, cores // 2), 1)


# --- workers that start together on an empty database ------------------------------------

RACE_CHILD = textwrap.dedent(
    """
    import sys, time
    import optuna
    from mbr_search.storage import load_or_create_study, open_storage, resolve_storage
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, start = sys.argv[1], float(sys.argv[2])
    time.sleep(max(0.0, start - time.time()))  # all children hit the empty DB at once
    study = load_or_create_study(
        open_storage(resolve_storage(url)), study_name="race", sampler=None, pruner=None
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    print("worker-ok")
    """
)


def _child_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["MBR_SEARCH_HOME"] = str(tmp_path / "home")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def _children(code: str, args: list[str], n: int, tmp_path: Path) -> list[tuple[int, str]]:
    """Run ``n`` copies of ``code`` at once; each one's exit code and output."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=_child_env(tmp_path),
            cwd=tmp_path,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(n)
    ]
    outputs = [c.communicate(timeout=120)[0] for c in children]
    return [(c.returncode, o) for c, o in zip(children, outputs, strict=True)]


def _start_together(url: str, n: int, tmp_path: Path) -> None:
    start = time.time() + 3.0 + 0.5 * n  # after every child has imported optuna
    done = _children(RACE_CHILD, [url, str(start)], n, tmp_path)
    failed = [o[-600:] for rc, o in done if rc != 0]
    assert not failed, failed
    study = optuna.load_study(study_name="race", storage=open_storage(resolve_storage(url)))
    assert len(study.trials) == 3 * n
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


@pytest.mark.slow
def test_four_workers_on_empty_sqlite(tmp_path: Path) -> None:
    _start_together(f"sqlite:///{tmp_path}/fresh.db", 4, tmp_path)


OPEN_MANY_CHILD = textwrap.dedent(
    """
    import sys, time
    import optuna.storages
    from mbr_search.storage import open_storage, resolve_storage
    folder, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    for i in range(rounds):  # one fresh file per round, every child on it at once
        time.sleep(max(0.0, start + 0.4 * i - time.time()))
        open_storage(resolve_storage(f"sqlite:///{folder}/fresh{i}.db"))
    print("opened-ok")
    """
)


@pytest.mark.slow
def test_workers_opening_fresh_sqlite_files_at_once(tmp_path: Path) -> None:
    # The moment a fresh file switches to WAL is the narrow race (SQLite answers "database
    # is locked" at once, without waiting); many rounds make a missing lock show.
    rounds, start = 12, time.time() + 6.0
    done = _children(OPEN_MANY_CHILD, [str(tmp_path), str(start), str(rounds)], 6, tmp_path)
    assert all(rc == 0 and "opened-ok" in o for rc, o in done), [o[-400:] for _, o in done]
    for i in range(rounds):
        with sqlite3.connect(tmp_path / f"fresh{i}.db") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.slow
@pytest.mark.needs_postgres
def test_six_workers_on_empty_postgres(postgres_server: PostgresServer, tmp_path: Path) -> None:
    # Six, because with four the unguarded race shows only now and then on 2 cores.
    _start_together(postgres_server.create_database("race"), 6, tmp_path)


# --- PostgreSQL errors -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.needs_postgres
def test_postgres_errors_name_url_and_fix(postgres_server: PostgresServer) -> None:
    good = postgres_server.create_database("errs")
    assert isinstance(open_storage(resolve_storage(good)), optuna.storages.RDBStorage)
    cases = {
        good.replace(PASSWORD, "wrong-password"): "refused the user name or password",
        postgres_server.url("missing_db"): "create it first",
        good.replace(f":{postgres_server.port}/", ":1/"): "cannot reach the database server",
    }
    for url, expected in cases.items():
        with pytest.raises(StorageError) as info:
            open_storage(resolve_storage(url))
        message = str(info.value)
        assert expected in message and "\n" not in message
        assert PASSWORD not in message and "wrong-password" not in message
        assert "***" in message


@pytest.mark.slow
@pytest.mark.needs_postgres
def test_postgres_password_from_file(postgres_server: PostgresServer, tmp_path: Path) -> None:
    postgres_server.create_database("storage_pwfile")
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    bare = postgres_server.url("storage_pwfile", password=False)
    spec = resolve_storage(bare, password_file=pw)
    study = load_or_create_study(open_storage(spec), study_name="p", sampler=None, pruner=None)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2


def test_init_cli_creates_the_study_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/init.db"
    command = [sys.executable, "-m", "mbr_search", "init", "lstm_pose", "--storage", url]
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            command, env=_child_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "study 'lstm_pose' created in sqlite:///" in outputs[0]
    assert "study 'lstm_pose' already exists" in outputs[1]
    assert optuna.get_all_study_names(storage=url) == ["lstm_pose"]
    bad = subprocess.run(
        [*command[:-1], f"postgresql+psycopg2://u:{SECRET}@127.0.0.1:1/db"],
        env=_child_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "cannot reach the database server" in bad.stderr and SECRET not in bad.stderr
    # one line of error, after the one-line warning that a password was given in argv
    lines = bad.stderr.strip().splitlines()
    assert lines[0].startswith("warning: the --storage URL holds a password")
    assert len(lines) == 2
