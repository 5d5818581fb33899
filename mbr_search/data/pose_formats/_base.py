"""What a pose format is to the registry, and the cheap looks at a file that ``auto`` takes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbr_search.data.pose_model import Pose


@dataclass(frozen=True)
class PoseFormat:
    """One entry of the registry: a name for ``pose_format``, how to spot it, how to read it."""

    name: str
    #: the tools that write it and their files, for docs and messages
    writes_it: str
    suffixes: tuple[str, ...]
    #: what ``auto`` found ("a SLEAP labels file (.slp)"), or None when it is not this format
    sniff: Callable[[Path], str | None]
    read: Callable[[Path], Pose]


def lower_name(path: Path) -> str:
    return path.name.lower()


def hdf5_root(path: Path) -> tuple[set[str], dict[str, Any]] | None:
    """The root keys and attributes of an HDF5 file, or None when it is not one."""
    import h5py  # installed with tables/movement; imported only when a .h5 is looked at

    try:
        with h5py.File(path, "r") as handle:
            return set(handle.keys()), dict(handle.attrs)
    except (OSError, ValueError):
        return None


def csv_head(path: Path, rows: int = 6) -> list[list[str]] | None:
    """The first rows of a (possibly gzipped) CSV, or None when it is not CSV text."""
    from mbr_search.data.pose_formats.dlc_csv import open_text

    head: list[list[str]] = []
    try:
        with open_text(path) as handle:
            for row in csv.reader(handle):
                head.append(row)
                if len(head) >= rows:
                    break
    except (OSError, EOFError, UnicodeDecodeError, csv.Error):
        return None
    return head
