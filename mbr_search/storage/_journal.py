"""Optuna JournalStorage on a log file: one machine or a shared NFS folder, no database.

Journal storages have no heartbeat in Optuna 5, so a killed worker's trial stays RUNNING
there; use an RDB storage when workers may die (see docs/reliability.md).

A journal is one JSON record per line, appended under a lock. Optuna leaves two ways to
lose a study, closed here:

- A torn last line (a writer killed, or the disk full, in the middle of a write). Optuna
  skips it when reading, but the next append glues a new record onto it, and from then on
  every reader refuses the whole file. Before every write the tail is cut back to the last
  complete record, with a warning, and a write that fails is undone.
- A file that is not a journal. Optuna would append records to it; it is refused before
  anything is written.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from optuna.storages.journal import JournalFileBackend

from mbr_search.errors import StorageError
from mbr_search.storage._url import StorageSpec, missing_file_error

if TYPE_CHECKING:
    from optuna.storages import JournalStorage

_log = logging.getLogger(__name__)

#: Longest first line read to recognise a journal; Optuna records are far shorter.
_MAX_FIRST_LINE = 16 << 20
_RECORD_START = b'{"op_code":'


def open_journal(spec: StorageSpec) -> JournalStorage:
    """Open (creating if needed, unless read-only) the journal log file named by ``spec``."""
    from optuna.storages.journal import JournalStorage

    path = spec.path
    assert path is not None
    if spec.read_only and not path.is_file():
        raise missing_file_error(spec)  # Optuna's backend would create it
    try:
        _refuse_non_journal(path, spec)
        # The default symlink lock works on local disks and on NFS (atomic symlink creation).
        backend = SafeJournalFileBackend(path, spec)
        if not spec.read_only:
            backend.repair_torn_tail()
        return JournalStorage(backend)
    except OSError as exc:
        raise StorageError(
            f"storage '{spec.display}': cannot open the journal file ({exc.strerror}): "
            "pick a writable path, e.g. journal:///$HOME/mbr_search.log"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise StorageError(_damaged(path, spec)) from None


class SafeJournalFileBackend(JournalFileBackend):
    """``JournalFileBackend`` that repairs a torn tail and undoes a failed append."""

    def __init__(self, path: Path, spec: StorageSpec) -> None:
        super().__init__(str(path))
        self._spec = spec

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        from optuna.storages.journal._file import get_lock_file

        if self._spec.read_only:
            raise StorageError(f"storage '{self._spec.display}' was opened read-only")
        data = ("\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n").encode()
        with get_lock_file(self._lock):
            self._cut_torn_tail()
            # Unbuffered, so that undoing a failed write cannot trip over a pending flush.
            with open(self._file_path, "r+b", buffering=0) as handle:
                size = handle.seek(0, os.SEEK_END)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[handle.write(view) :]
                    os.fsync(handle.fileno())
                except OSError as exc:
                    # Freeing the partial record needs no space, so this works on a full disk.
                    handle.truncate(size)
                    raise StorageError(
                        f"storage '{self._spec.display}': writing the journal failed "
                        f"({exc.strerror}); the unfinished record was removed and the journal "
                        "is intact. Fix: free disk space, then run the same command again."
                    ) from None

    def repair_torn_tail(self) -> None:
        """Cut a torn last line now, under the lock, so the warning comes at start-up."""
        from optuna.storages.journal._file import get_lock_file

        with get_lock_file(self._lock):
            self._cut_torn_tail()

    def _cut_torn_tail(self) -> None:
        # Called with the lock held: no writer is in the middle of a record now.
        with open(self._file_path, "r+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return
            keep = _end_of_last_line(handle, size)
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        _log.warning(
            "journal %s: its last record was cut short (%d bytes, a writer killed or the disk "
            "full mid-write); removed it, the %d bytes of complete records before it are kept",
            self._file_path,
            size - keep,
            keep,
        )


def _end_of_last_line(handle: BinaryIO, size: int) -> int:
    """Offset just past the last newline of the open file (0 when there is none)."""
    block = 1 << 16
    end = size
    while end > 0:
        start = max(0, end - block)
        handle.seek(start)
        chunk = handle.read(end - start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _refuse_non_journal(path: Path, spec: StorageSpec) -> None:
    """Raise unless ``path`` is absent, empty or starts with an Optuna journal record."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        first = handle.readline(_MAX_FIRST_LINE)
    if not first.endswith(b"\n"):
        # A journal whose very first write was torn: its tail repair empties it.
        if first.startswith(_RECORD_START) and len(first) < _MAX_FIRST_LINE:
            return
        raise StorageError(_not_a_journal(spec))
    try:
        record = json.loads(first)
    except ValueError:
        raise StorageError(_not_a_journal(spec)) from None
    if not (isinstance(record, dict) and "op_code" in record and "worker_id" in record):
        raise StorageError(_not_a_journal(spec))


def _not_a_journal(spec: StorageSpec) -> str:
    return (
        f"storage '{spec.display}': the file is not an Optuna journal (its first line is "
        "not a journal record) and nothing was written to it: point --storage at a new "
        "file or at an existing mbr-search journal"
    )


def _damaged(path: Path, spec: StorageSpec) -> str:
    line = _first_bad_line(path)
    where = f" at line {line}" if line else ""
    return (
        f"storage '{spec.display}': the file is not an Optuna journal, or it is damaged"
        f"{where} (not a complete JSON record): point --storage at a new file, or restore "
        "the journal from a backup"
    )


def _first_bad_line(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    return None  # a torn tail, which reading skips: not the cause
                try:
                    json.loads(line)
                except ValueError:
                    return number
    except OSError:
        return None
    return None
