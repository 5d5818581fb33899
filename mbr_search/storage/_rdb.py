"""Opening an Optuna RDBStorage (SQLite, PostgreSQL, MySQL) safely for many workers.

Three things Optuna leaves to the caller are done here: heartbeats with a retry callback
(a killed worker's trial is failed and its parameters re-queued), serialised schema
creation (workers that start together on an empty database), and one-line errors that
name the redacted URL and the fix instead of a SQLAlchemy traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mbr_search.errors import StorageError
from mbr_search.storage._locks import file_lock, server_lock
from mbr_search.storage._url import PASSWORD_ENV, StorageSpec, missing_file_error, redact_url

if TYPE_CHECKING:
    from optuna.storages import RDBStorage

_log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT = 60
#: Seconds a PostgreSQL/MySQL connection attempt may take before "unreachable".
CONNECT_TIMEOUT = 10

# Substrings of driver messages that mean "another process won a creation race": the
# object exists now, so trying again succeeds.
_RACE_MARKERS = (
    "already exists",
    "duplicate key",
    "database is locked",
    "unique constraint failed",
    "deadlock detected",
)


def engine_kwargs_for(kind: str) -> dict[str, Any]:
    """SQLAlchemy engine options per backend (also used for the schema lock connection)."""
    if kind == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}}
    if kind == "postgresql":
        # pre_ping replaces pooled connections that died when the server restarted.
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": CONNECT_TIMEOUT}}


def open_rdb(
    spec: StorageSpec,
    *,
    heartbeat_interval: int | None,
    grace_period: int | None,
    max_retry: int,
) -> RDBStorage:
    """Create the RDBStorage (and the schema if missing) under a cross-process lock."""
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    from mbr_search.storage._resilient import ResilientRDBStorage

    kwargs = engine_kwargs_for(spec.kind)
    if spec.read_only:
        return _open_read_only(spec, kwargs)

    def build() -> RDBStorage:
        with warnings.catch_warnings():
            # Heartbeats have been "experimental" since Optuna 2.9; we rely on them knowingly.
            warnings.simplefilter("ignore", ExperimentalWarning)
            callback = (
                RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
                if heartbeat_interval
                else None
            )
            return ResilientRDBStorage(
                spec.url,
                engine_kwargs=kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=callback,
            )

    try:
        with _schema_lock(spec, kwargs):
            return retry_races(build, spec)
    except StorageError:
        raise
    except Exception as exc:
        raise translate_error(exc, spec) from None


def _open_read_only(spec: StorageSpec, kwargs: dict[str, Any]) -> RDBStorage:
    """The storage for commands that only read: no schema creation, lock file or WAL switch.

    A SQLite file is opened with SQLite's own read-only mode, so a database on a read-only
    folder or filesystem (a finished study on an archive share) can be reported on.
    """
    from mbr_search.storage._resilient import ResilientRDBStorage

    if spec.kind == "sqlite" and spec.path is not None:
        if not spec.path.is_file():
            raise missing_file_error(spec)
        kwargs = {**kwargs, "creator": _read_only_sqlite_connect(spec.path)}
    try:
        return ResilientRDBStorage(spec.url, engine_kwargs=kwargs, skip_table_creation=True)
    except Exception as exc:
        raise translate_error(exc, spec) from None


def _read_only_sqlite_connect(path: Path) -> Callable[[], sqlite3.Connection]:
    from urllib.parse import quote

    uri = f"file:{quote(str(path), safe='/')}?mode=ro"
    # A WAL database needs its -shm file, which a read-only folder cannot hold. Without a
    # -wal file no writer is active, so SQLite may treat the file as unchanging.
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() and not os.access(path.parent, os.W_OK):
        uri += "&immutable=1"
    return functools.partial(
        sqlite3.connect, uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT, check_same_thread=False
    )


def _schema_lock(spec: StorageSpec, kwargs: dict[str, Any]) -> AbstractContextManager[None]:
    if spec.kind == "sqlite":
        if spec.path is None:
            return nullcontext()
        return _sqlite_schema_lock(spec.path, spec)
    return server_lock(spec.url, spec.kind, kwargs["connect_args"])


@contextmanager
def _sqlite_schema_lock(path: Path, spec: StorageSpec) -> Iterator[None]:
    # The WAL switch goes under the lock too: processes switching a fresh file at once
    # deadlock on the upgrade to EXCLUSIVE, and SQLite answers "database is locked"
    # at once instead of waiting out the busy timeout.
    with file_lock(path.with_name(path.name + ".lock")):
        _enable_wal(path, spec)
        yield


def _enable_wal(path: Path, spec: StorageSpec) -> None:
    """Switch the file to WAL journaling so readers (dashboard) never block writers.

    The mode is stored in the file, so doing it once here covers every later connection.
    """
    try:
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise translate_error(exc, spec) from None


def retry_races(fn: Callable[[], T], spec: StorageSpec, attempts: int = 6) -> T:
    """Call ``fn``; on an error that means "another worker got there first", call it again."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts - 1 or not is_race(exc):
                raise
            delay = min(5.0, 0.2 * 2**attempt) * (0.5 + random.random())
            _log.debug("storage %s: creation race (%s); retrying", spec.display, type(exc))
            time.sleep(delay)
    raise AssertionError("unreachable")


def is_race(exc: BaseException) -> bool:
    """True for errors that a concurrent schema/study creation causes."""
    from optuna.exceptions import DuplicatedStudyError

    if isinstance(exc, DuplicatedStudyError):
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _RACE_MARKERS)


def translate_error(exc: BaseException, spec: StorageSpec) -> StorageError:
    """Turn a driver/SQLAlchemy/Optuna exception into a one-line, password-free StorageError."""
    where = f"storage '{spec.display}'"
    if type(exc).__name__ == "StorageInternalError" and exc.__cause__ is not None:
        exc = exc.__cause__  # Optuna's wrapper says only "an exception is raised during commit"
    if isinstance(exc, ImportError | ModuleNotFoundError):
        # RDBStorage re-raises SQLAlchemy's ModuleNotFoundError, which names the module.
        missing = getattr(exc.__cause__, "name", None) or getattr(exc, "name", None)
        return _missing_driver(str(missing or "the driver"), spec)
    detail = _first_line(exc)
    low = detail.lower()
    sqlite = _sqlite_error(low, where) if spec.kind == "sqlite" else None
    if sqlite is not None:
        return sqlite
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or ("access denied" in low)
    ):
        return StorageError(
            f"{where}: the server refused the user name or password: check the URL's user "
            f"and the password in the URL, {PASSWORD_ENV} or the password file"
        )
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return StorageError(
            f"{where}: holds no Optuna study tables ({detail}): fix the --storage path, or "
            "run `mbr-search init` / `mbr-search run` there first"
        )
    if "role" in low and "does not exist" in low:
        return StorageError(f"{where}: {detail}: check the user name in the URL")
    if "database" in low and "does not exist" in low:
        return StorageError(
            f"{where}: {detail}: create it first (e.g. createdb) or fix the database name"
        )
    unreachable = (
        "connection refused",
        "could not connect",
        "could not translate host name",
        "name or service not known",
        "timeout expired",
        "timed out",
        "no route to host",
        "can't connect",
        "server closed the connection",
        "connection reset",
    )
    if any(marker in low for marker in unreachable):
        return StorageError(
            f"{where}: cannot reach the database server ({detail}): check host and port, "
            "that the server is running and accepts connections from this machine"
        )
    if "no longer compatible with the table schema" in low or "upgrade" in low:
        return StorageError(
            f"{where}: the database schema is from another Optuna version: "
            "run `optuna storage upgrade --storage URL` once"
        )
    return StorageError(f"{where}: {type(exc).__name__}: {detail}")


def storage_cause(exc: BaseException) -> BaseException | None:
    """The storage's own error behind ``exc``, if any: a full disk under SQLite makes Optuna
    fail while recording the failure, so the exception that arrives is its internal
    AssertionError with the driver's error in its chain (causes and contexts)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__module__.startswith(("sqlalchemy", "psycopg2", "optuna.storages")):
            return current
        current = current.__cause__ or current.__context__
    return None


def _sqlite_error(low: str, where: str) -> StorageError | None:
    """The SQLite-only translations of a (lower-cased) driver message."""
    if "unable to open database file" in low or "readonly database" in low:
        return StorageError(
            f"{where}: cannot write the database file: check that the path exists and "
            "is writable, or pass another --storage sqlite:///path/to/file.db"
        )
    if "not a database" in low:
        return StorageError(
            f"{where}: the file is not a SQLite database: point --storage at a "
            "new file or an existing mbr-search database"
        )
    if "database or disk is full" in low or "no space left" in low:
        return StorageError(
            f"{where}: the disk that holds the database is full: free space there (finished "
            "trials are kept; the trial that was running is marked failed by the next run), "
            "or pass another --storage sqlite:///path/to/file.db"
        )
    if "database is locked" in low:
        return StorageError(
            f"{where}: the database stayed locked by another process for "
            f"{SQLITE_BUSY_TIMEOUT}s: for many workers use PostgreSQL"
        )
    return None


#: driver module -> (pip package, URL scheme that selects it)
_DRIVERS = {
    "psycopg2": ("psycopg2-binary", "postgresql+psycopg2://"),
    "psycopg": ("'psycopg[binary]'", "postgresql+psycopg://"),
    "MySQLdb": ("mysqlclient", "mysql+mysqldb://"),
    "pymysql": ("pymysql", "mysql+pymysql://"),
}


def _missing_driver(missing: str, spec: StorageSpec) -> StorageError:
    """Name the missing module and fixes that work here: this Python's pip, or a driver
    that is installed (suggesting one that is not would only move the error)."""
    import importlib.util
    import sys

    package = _DRIVERS.get(missing, (missing, ""))[0]
    family = "postgresql" if spec.kind == "postgresql" else "mysql"
    installed = [
        scheme
        for module, (_pkg, scheme) in _DRIVERS.items()
        if module != missing
        and scheme.startswith(family)
        and importlib.util.find_spec(module) is not None
    ]
    other = f", or use the installed driver: {installed[0]}..." if installed else ""
    shipped = " (mbr-search installs psycopg2-binary by default)" if missing == "psycopg2" else ""
    return StorageError(
        f"storage '{spec.display}': the database driver module '{missing}' is not installed: "
        f"pip install {package} into the Python that runs mbr-search, i.e. "
        f"`{sys.executable} -m pip install {package}`{shipped}{other}"
    )


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver error as "(driver.Error) message\n[SQL...]\n(Background...)".
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return redact_url(line)[:300]
