"""Opening a study that must already exist: the one "no such storage / study" check.

``evaluate``, ``report`` and ``dashboard`` only read; opening a SQLite URL that names no
file would create an empty database, so a typo would look like "no such study". The check
is done here once, with the same message and fix for every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbr_search.errors import StorageError
from mbr_search.storage._open import open_storage, storage_error
from mbr_search.storage._url import StorageSpec

if TYPE_CHECKING:
    import optuna


def require_existing_file(spec: StorageSpec, run_hint: str) -> None:
    """Refuse a file storage (SQLite, journal) whose file does not exist."""
    path = spec.path
    if path is not None and not path.exists():
        raise StorageError(
            f"storage '{spec.display}' does not exist: no study has been run there. Fix: run "
            f"`{run_hint}` first, or give the right --storage."
        )


def open_existing_storage(spec: StorageSpec, run_hint: str) -> optuna.storages.BaseStorage:
    """The storage, opened without heartbeats (a reader must never fail others' trials)."""
    require_existing_file(spec, run_hint)
    return open_storage(spec, heartbeat_interval=None)


def open_existing_study(spec: StorageSpec, study_name: str, run_hint: str) -> optuna.Study:
    """Load ``study_name`` from ``spec``; a missing file or study names what is there.

    ``run_hint`` is the command that would create it (quoted in the fix).
    """
    import optuna

    storage = open_existing_storage(spec, run_hint)
    try:
        names = sorted(s.study_name for s in storage.get_all_studies())
        if study_name not in names:
            shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") or "none"
            raise StorageError(
                f"study '{study_name}' is not in storage '{spec.display}' (studies there: "
                f"{shown}). Fix: run `{run_hint}` first, or pass the --storage / --study-name "
                "of the search."
            )
        return optuna.load_study(study_name=study_name, storage=storage)
    except StorageError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "optuna.storages")):
            raise storage_error(exc, spec) from None
        raise
