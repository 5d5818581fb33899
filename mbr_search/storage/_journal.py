"""Optuna JournalStorage on a log file: one machine or a shared NFS folder, no database.

Journal storages have no heartbeat in Optuna 5, so a killed worker's trial stays RUNNING
there; use an RDB storage when workers may die (see docs/reliability.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbr_search.errors import StorageError
from mbr_search.storage._url import StorageSpec

if TYPE_CHECKING:
    from optuna.storages import JournalStorage


def open_journal(spec: StorageSpec) -> JournalStorage:
    """Open (creating if needed) the journal log file named by ``spec``."""
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = spec.path
    assert path is not None
    try:
        # The default symlink lock works on local disks and on NFS (atomic symlink creation).
        return JournalStorage(JournalFileBackend(str(path)))
    except OSError as exc:
        raise StorageError(
            f"storage '{spec.display}': cannot open the journal file ({exc.strerror}): "
            "pick a writable path, e.g. journal:///$HOME/mbr_search.log"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise StorageError(
            f"storage '{spec.display}': the file is not an Optuna journal "
            f"({type(exc).__name__}): point --storage at a new file"
        ) from None
