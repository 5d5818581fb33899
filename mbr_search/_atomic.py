"""Atomic file writes: a temporary name in the target's folder, then one rename.

Whoever opens the target (a user, the next command) sees the old file or the complete new
one, never a half-written file: a full disk or a kill mid-write leaves the target as it was
and the temp file is removed. Files are created with mode 0666 and the kernel applies the
process umask, as for any other file the user writes; the umask itself is never changed
(changing it, even for a moment, affects files other threads create meanwhile).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mbr_search.errors import OutputError

DEFAULT_FIX = "free disk space or write to another folder"


@contextlib.contextmanager
def atomic_path(path: Path, *, fix: str = DEFAULT_FIX) -> Iterator[Path]:
    """Yield an empty temp file beside ``path``; it becomes ``path`` when the block succeeds.

    Write the yielded path by name (pandas, zipfile, numpy...). An ``OSError`` while
    writing, syncing or renaming becomes a one-line :class:`OutputError` naming ``path``
    and ``fix``; any error removes the temp file and leaves ``path`` untouched.
    """
    path = Path(path)
    tmp = _create_temp(path, fix)
    try:
        yield tmp
        _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(path, exc, fix) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The rename is durable only once the folder's entry is on disk too.
    with contextlib.suppress(OSError):
        _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


@contextlib.contextmanager
def atomic_open(path: Path, *, text: bool = True, fix: str = DEFAULT_FIX) -> Iterator[IO[Any]]:
    """``open(path, "w"/"wb")`` that lands atomically (see :func:`atomic_path`)."""
    with atomic_path(path, fix=fix) as tmp:
        if text:
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                yield handle
        else:
            with tmp.open("wb") as binary:
                yield binary


def write_text_atomic(path: Path, text: str, *, fix: str = DEFAULT_FIX) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, text=True, fix=fix) as handle:
        handle.write(text)


def write_bytes_atomic(path: Path, data: bytes, *, fix: str = DEFAULT_FIX) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, text=False, fix=fix) as handle:
        handle.write(data)


def output_error(path: Path, exc: OSError, fix: str = DEFAULT_FIX) -> OutputError:
    """The one-line message for an output that could not be written."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "the disk is full"
    else:
        reason = f"cannot write it ({exc.strerror or exc})"
    return OutputError(
        f"{path}: {reason}; nothing was written (an earlier file of that name is unchanged). "
        f"Fix: {fix}."
    )


def _create_temp(path: Path, fix: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(path, exc, fix) from None
    for _ in range(100):
        # Hidden, and the real name last so its suffix (.csv, .gz) still tells writers the
        # format, e.g. pandas infers compression from it.
        tmp = path.with_name(f".tmp-{secrets.token_hex(4)}-{path.name}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise output_error(path, exc, fix) from None
        os.close(fd)
        return tmp
    raise OutputError(f"{path}: cannot pick a free temporary name beside it. Fix: {fix}.")


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
