"""Tiny real filesystems for fault tests: a 1 MB tmpfs to fill, a read-only remount.

Mounting needs root (as on the development machine and CI); the tests skip cleanly
where ``mount`` is not permitted.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "1m") -> Iterator[Path]:
    """Mount a ``size`` tmpfs on ``path`` for the block; skip the test if not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def remount_read_only(path: Path) -> None:
    """Make the tmpfs at ``path`` read-only (even root cannot write it then)."""
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)


def fill(folder: Path) -> Path:
    """Write a file in ``folder`` until its filesystem is full; returns the filler."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as handle:
        block = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                handle.write(block)
    with contextlib.suppress(OSError), filler.open("ab", buffering=0) as handle:
        while True:  # the last partial page
            handle.write(b"\0")
    return filler
