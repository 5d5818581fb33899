"""Opening an Optuna RDBStorage (SQLite, PostgreSQL, MySQL) safely for many workers.

Three things Optuna leaves to the caller are done here: heartbeats with a retry callback
(a killed worker's trial is failed and its parameters re-queued), serialised schema
creation (workers that start together on an empty database), and one-line errors that
name the redacted URL and the fix instead of a SQLAlchemy traceback.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mbr_search.errors import StorageError
from mbr_search.storage._locks import file_lock, server_lock
from mbr_search.storage._url import PASSWORD_ENV, StorageSpec, redact_url

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


def _schema_lock(spec: StorageSpec, kwargs: dict[str, Any]) -> AbstractContextManager[None]:
    if spec.kind == "sqlite":
        path = spec.path
        if path is None:
            return nullcontext()
        _enable_wal(path, spec)
        return file_lock(path.with_name(path.name + ".lock"))
    return server_lock(spec.url, spec.kind, kwargs["connect_args"])


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
    if isinstance(exc, ImportError | ModuleNotFoundError):
        # RDBStorage re-raises SQLAlchemy's ModuleNotFoundError, which names the module.
        missing = getattr(exc.__cause__, "name", None) or getattr(exc, "name", None)
        package = {
            "psycopg2": "psycopg2-binary",
            "psycopg": "psycopg[binary]",
            "MySQLdb": "mysqlclient",
        }.get(str(missing), str(missing or "the driver"))
        example = "postgresql+psycopg2://" if spec.kind == "postgresql" else "mysql+pymysql://"
        return StorageError(
            f"{where}: the database driver module '{missing}' is not installed: "
            f"pip install {package}, or name an installed driver in the URL (e.g. {example})"
        )
    detail = _first_line(exc)
    low = detail.lower()
    if spec.kind == "sqlite":
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
        if "database is locked" in low:
            return StorageError(
                f"{where}: the database stayed locked by another process for "
                f"{SQLITE_BUSY_TIMEOUT}s: for many workers use PostgreSQL"
            )
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or ("access denied" in low)
    ):
        return StorageError(
            f"{where}: the server refused the user name or password: check the URL's user "
            f"and the password in the URL, {PASSWORD_ENV} or the password file"
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


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver error as "(driver.Error) message\n[SQL...]\n(Background...)".
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    return redact_url(line)[:300]
