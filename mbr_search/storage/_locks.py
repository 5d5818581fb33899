"""Locks that serialise schema creation between worker processes.

Workers that start together on an empty database race in ``CREATE TABLE`` (SQLite: "table
studies already exists"; PostgreSQL: duplicate key in ``pg_type_typname_nsp_index``). A
file lock next to the SQLite file, or a PostgreSQL/MySQL advisory lock, makes the first
worker create the schema while the others wait and then find it in place.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: Arbitrary but fixed 64-bit key for pg_advisory_lock; all mbr-search versions share it.
PG_LOCK_KEY = 0x6D62_7273_6368  # "mbrsch"
MYSQL_LOCK_NAME = "mbr_search_schema"
LOCK_WAIT_SECONDS = 120


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block.

    The lock file is left in place: deleting it while another process waits on it would
    let two processes hold "the" lock at once.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def server_lock(url: str, kind: str, connect_args: dict[str, object]) -> Iterator[None]:
    """Hold a database-wide advisory lock (PostgreSQL or MySQL) for the block.

    The lock lives on its own connection, which is closed afterwards; if this process dies
    the server drops the lock with the connection, so a crash never leaves it held.
    """
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
                conn.commit()
            else:
                conn.execute(
                    sqlalchemy.text("SELECT GET_LOCK(:n, :t)"),
                    {"n": MYSQL_LOCK_NAME, "t": LOCK_WAIT_SECONDS},
                )
            try:
                yield
            finally:
                # A failed unlock must not hide the block's own error; closing the
                # connection below releases the lock on the server anyway.
                with suppress(sqlalchemy.exc.SQLAlchemyError):
                    if kind == "postgresql":
                        conn.execute(
                            sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY}
                        )
                        conn.commit()
                    else:
                        conn.execute(
                            sqlalchemy.text("SELECT RELEASE_LOCK(:n)"), {"n": MYSQL_LOCK_NAME}
                        )
    finally:
        engine.dispose()
