"""DeepLabCut pose (``.csv``, ``.csv.gz``, ``.h5``): H5 read by ``movement``, CSV by the
project's own reader, each checked here.

Why CSVs stay with the project's reader (``dlc_csv``), measured:

- it must scan every CSV line by line anyway (``dlc_csv.scan_csv``), which ``movement``
  does not do (a copy cut short would lose frames silently), and ``movement`` refuses two
  real layouts it reads: copies re-saved by pandas with an index column (the Sturman files)
  and the thesis' files with label columns after the keypoints;
- importing ``movement.io`` (xarray, pynwb, sleap-io) costs 2.5 CPU-s per process, 10-15 s
  wall on a loaded 2-core machine, and every ``run`` / ``evaluate`` / ``predict`` reads pose;
- on the files ``movement`` does read, both give the same frames and values
  (tests/test_pose_formats.py checks this on the real rat files), so nothing is lost.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from mbr_search.data.pose_formats._base import PoseFormat, csv_head, hdf5_root, lower_name
from mbr_search.data.pose_formats._movement import library_read
from mbr_search.data.pose_formats.dlc_csv import CsvScan, read_csv, scan_csv
from mbr_search.data.pose_model import Pose
from mbr_search.errors import DataError

CSV_SUFFIXES = (".csv", ".csv.gz")
H5_SUFFIXES = (".h5", ".hdf5")


def dlc_style_header(path: Path) -> list[list[str]] | None:
    """The header rows when ``path`` is a DeepLabCut-style CSV (also LightningPose's)."""
    if not lower_name(path).endswith(CSV_SUFFIXES):
        return None
    head = csv_head(path)
    if head is None:
        return None
    names = {cell.strip().lower() for row in head for cell in row[:2]}
    return head if {"bodyparts", "coords"} <= names else None


def sniff(path: Path) -> str | None:
    if dlc_style_header(path) is not None:
        return "a DeepLabCut-style CSV (scorer/bodyparts/coords header rows)"
    if lower_name(path).endswith(H5_SUFFIXES):
        root = hdf5_root(path)
        if root is not None and "df_with_missing" in root[0]:
            return "a DeepLabCut H5 table (df_with_missing)"
    return None


def read(path: Path) -> Pose:
    if lower_name(path).endswith(H5_SUFFIXES):
        return library_read(path, "DeepLabCut", "dlc")
    if not lower_name(path).endswith(CSV_SUFFIXES):
        raise DataError(f"{path}: not a DeepLabCut file. Fix: give its .csv, .csv.gz or .h5.")
    return read_csv(path, scan_csv(path))


def read_with_movement(path: Path, scan: CsvScan, software: str, name: str) -> Pose:
    """A checked DeepLabCut-style CSV through ``movement``, frame count held to the scan's."""
    if lower_name(path).endswith(".gz"):
        # movement reads plain .csv only: give it an uncompressed copy for the parse.
        with tempfile.TemporaryDirectory(prefix="mbr_pose_") as tmp:
            plain = Path(tmp) / (path.name[: -len(".gz")])
            with gzip.open(path, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            pose = replace(library_read(plain, software, name), source=path)
    else:
        pose = library_read(path, software, name)
    if pose.n_frames != scan.n_rows:  # the scan and the library must agree on every frame
        raise DataError(
            f"{path}: movement read {pose.n_frames} frames but the file has {scan.n_rows} data "
            "rows. Fix: re-export the file."
        )
    if not scan.multi_animal:
        pose = replace(pose, individuals=("single",))  # the name earlier versions gave
    return pose


FORMAT = PoseFormat(
    name="dlc",
    writes_it="DeepLabCut: .csv (single/multi-animal, also pandas re-saved), .csv.gz, .h5",
    suffixes=(*CSV_SUFFIXES, *H5_SUFFIXES),
    sniff=sniff,
    read=read,
)
