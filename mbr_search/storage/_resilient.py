"""An RDBStorage that rides out a short database outage (server restart, network blip).

Two gaps in Optuna are closed here. Heartbeats are written from a background thread; one
failed write ends that thread with a traceback, and the trial then looks dead to other
workers after the grace period although it is still training. And every storage call made
while the server is down fails at once, which ends the worker. So: new connections are
retried for up to :data:`RECONNECT_SECONDS` while the server refuses them (retrying a
*connect* can never apply a write twice), and a heartbeat that still fails is logged and
tried again at the next interval.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

import optuna
import sqlalchemy
import sqlalchemy.exc
from optuna.storages import RDBStorage

from mbr_search.storage._url import redact_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

_log = logging.getLogger(__name__)

#: How long a connection attempt keeps retrying while the server is down or starting.
RECONNECT_SECONDS = 120.0
_RECONNECT_PAUSE = 0.5

# Driver messages of a server that is down, restarting or unreachable for now. Wrong
# passwords and missing databases are not here: waiting would not fix them.
_TRANSIENT = (
    "connection refused",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "could not connect",
    "timeout expired",
    "no route to host",
    "can't connect to mysql server",
    "lost connection to mysql server",
)


#: SQLAlchemy's "(package.ErrorClass) " in front of a wrapped driver message
_DRIVER_PREFIX = re.compile(r"^\([\w.]+\)\s*")


def _is_transient(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _TRANSIENT)


def _first_line(exc: BaseException) -> str:
    """The driver's own first line: Optuna wraps SQLAlchemy, which wraps the DBAPI error
    and prefixes it with "(psycopg2.OperationalError)"; users need only the message."""
    cause: BaseException = exc
    for _ in range(5):  # Optuna -> SQLAlchemy -> DBAPI, at most a few levels
        inner = getattr(cause, "orig", None) or cause.__cause__
        if not isinstance(inner, BaseException):
            break
        cause = inner
    lines = str(cause).strip().splitlines()
    first = _DRIVER_PREFIX.sub("", lines[0]) if lines else type(exc).__name__
    return redact_url(first)[:200]


class ResilientRDBStorage(RDBStorage):
    """RDBStorage whose connections wait for a restarting server and whose heartbeat lives on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            sqlalchemy.event.listen(self.engine, "do_connect", self._connect_with_retry)

    def __setstate__(self, state: dict[Any, Any]) -> None:
        # Unpickling (e.g. in a subprocess) builds a new engine: listen on it too.
        super().__setstate__(state)
        if self.engine.dialect.name != "sqlite":
            sqlalchemy.event.listen(self.engine, "do_connect", self._connect_with_retry)

    def _connect_with_retry(
        self,
        dialect: Dialect,
        conn_rec: ConnectionPoolEntry,
        cargs: tuple[object, ...],
        cparams: dict[str, object],
    ) -> DBAPIConnection:
        deadline = time.monotonic() + RECONNECT_SECONDS
        warned = False
        while True:
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not _is_transient(exc) or time.monotonic() >= deadline:
                    raise
                if not warned:
                    _log.warning(
                        "database unreachable (%s); retrying for up to %.0fs",
                        _first_line(exc),
                        RECONNECT_SECONDS,
                    )
                    warned = True
                time.sleep(_RECONNECT_PAUSE)

    def record_heartbeat(self, trial_id: int) -> None:
        """Write the heartbeat; on a database error, warn and let the next beat retry."""
        try:
            super().record_heartbeat(trial_id)
        except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as exc:
            _log.warning(
                "heartbeat of trial %d not recorded (%s); next try in %ss",
                trial_id,
                _first_line(exc),
                self.heartbeat_interval,
            )
