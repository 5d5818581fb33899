"""Storage warnings quote the driver's own message, once, without SQLAlchemy's wrapping."""

from __future__ import annotations

import optuna
import sqlalchemy.exc

from mbr_search.storage._resilient import _first_line


class _Driver(Exception):
    pass


def test_a_wrapped_driver_error_is_quoted_by_its_first_line_only() -> None:
    driver = _Driver('connection to server at "127.0.0.1", port 5 failed: server closed\nDETAIL')
    wrapped = sqlalchemy.exc.OperationalError("SELECT 1", {}, driver)
    assert "(" in str(wrapped).split(")")[0]  # SQLAlchemy prefixes "(module._Driver)"
    try:
        try:
            raise wrapped
        except sqlalchemy.exc.OperationalError as exc:
            raise optuna.exceptions.StorageInternalError("commit failed") from exc
    except optuna.exceptions.StorageInternalError as outer:
        line = _first_line(outer)
    assert line == 'connection to server at "127.0.0.1", port 5 failed: server closed'


def test_a_password_in_the_driver_message_is_redacted() -> None:
    driver = _Driver("could not connect to postgresql://user:s3cret@db:5432/x")
    line = _first_line(sqlalchemy.exc.OperationalError("x", {}, driver))
    assert "s3cret" not in line and "db:5432" in line
