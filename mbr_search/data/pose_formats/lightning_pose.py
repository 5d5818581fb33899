"""LightningPose predictions: DeepLabCut's single-animal CSV layout, read by ``movement``."""

from __future__ import annotations

from pathlib import Path

from mbr_search.data.pose_formats._base import PoseFormat
from mbr_search.data.pose_formats.dlc import dlc_style_header, read_with_movement
from mbr_search.data.pose_formats.dlc_csv import scan_csv
from mbr_search.data.pose_model import Pose
from mbr_search.errors import DataError


def sniff(path: Path) -> str | None:
    # The layout is DeepLabCut's; only the scorer row tells them apart: LightningPose names
    # its model there (heatmap_tracker, heatmap_mhcrnn_tracker, ...).
    head = dlc_style_header(path)
    if head is None or not head[0] or head[0][0].strip().lower() != "scorer":
        return None
    scorers = {cell.strip().lower() for cell in head[0][1:]}
    if scorers and all(s.startswith("heatmap") for s in scorers):
        return f"a LightningPose CSV (scorer {sorted(scorers)[0]!r})"
    return None


def read(path: Path) -> Pose:
    scan = scan_csv(path)
    if not scan.movement_reads_it or scan.multi_animal:
        raise DataError(
            f"{path}: not a LightningPose CSV (LightningPose writes one animal, with "
            "scorer/bodyparts/coords header rows). Fix: set pose_format: dlc or auto."
        )
    return read_with_movement(path, scan, "LightningPose", "lightning_pose")


FORMAT = PoseFormat(
    name="lightning_pose",
    writes_it="LightningPose: predictions .csv (one animal)",
    suffixes=(".csv", ".csv.gz"),
    sniff=sniff,
    read=read,
)
