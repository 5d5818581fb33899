"""Opening a storage: heartbeats for workers, none for readers, one-line errors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mbr_search.errors import StorageError, UsageError
from mbr_search.storage._rdb import open_rdb, translate_error
from mbr_search.storage._url import StorageSpec

if TYPE_CHECKING:
    import optuna

HEARTBEAT_ENV = "MBR_SEARCH_HEARTBEAT_INTERVAL"
GRACE_ENV = "MBR_SEARCH_GRACE_PERIOD"


def open_storage(
    spec: StorageSpec,
    *,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int = 3,
) -> optuna.storages.BaseStorage:
    """Open the storage ``spec`` names, creating the schema if needed (race-safe).

    RDB storages get a heartbeat every ``heartbeat_interval`` seconds; a trial whose
    worker stopped beating for ``grace_period`` seconds (default: twice the interval) is
    marked FAIL by the next worker that starts a trial, and its parameters are queued
    again, at most ``max_retry`` times. ``heartbeat_interval=None`` turns this off
    (read-only users such as the dashboard). Journal storages have no heartbeat.
    ``$MBR_SEARCH_HEARTBEAT_INTERVAL`` / ``$MBR_SEARCH_GRACE_PERIOD`` (seconds) override
    the two values when heartbeats are on.
    Raises :class:`StorageError` with the redacted URL and the fix when it cannot open.
    """
    if heartbeat_interval is not None:
        # Cluster admins tune liveness without touching every command line.
        heartbeat_interval = _env_seconds(HEARTBEAT_ENV, heartbeat_interval)
        grace_period = _env_seconds(GRACE_ENV, grace_period)
    if spec.kind == "journal":
        from mbr_search.storage._journal import open_journal

        return open_journal(spec)
    return open_rdb(
        spec,
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        max_retry=max_retry,
    )


def storage_error(exc: BaseException, spec: StorageSpec) -> StorageError:
    """A one-line, password-free :class:`StorageError` for a database error met mid-run."""
    if isinstance(exc, StorageError):
        return exc
    return translate_error(exc, spec)


def _env_seconds(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise UsageError(
            f"${name}={value!r} is not a whole number of seconds >= 1: fix or unset it"
        )
    return seconds
