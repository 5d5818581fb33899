"""Pose files of any common tool into one :class:`Pose`: the entry point of the readers.

``read_pose(path, pose_format)`` looks the format up in the registry
(``pose_formats/``: DeepLabCut, SLEAP, LightningPose, NWB); ``auto`` recognises the file
from its content and logs what it found. The maintained ``movement`` library does the
parsing; see ``pose_formats/dlc.py`` for where the project's own DeepLabCut reader stays.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mbr_search.data.pose_formats import FORMATS, POSE_FORMATS, POSE_SUFFIXES, detect, resolve
from mbr_search.data.pose_model import Pose
from mbr_search.errors import DataError

__all__ = ["FORMATS", "POSE_FORMATS", "POSE_SUFFIXES", "Pose", "read_pose"]

log = logging.getLogger(__name__)


def read_pose(path: Path, pose_format: str = "auto") -> Pose:
    """Read the pose file ``path`` (format ``pose_format``, or ``auto``) into a :class:`Pose`."""
    if not path.is_file():
        raise DataError(f"{path}: pose file not found. Fix: check the path in the dataset file.")
    if pose_format == "auto":
        fmt, found = detect(path)
        log.info("%s: pose_format auto found %s; read as %s", path, found, fmt.name)
    else:
        fmt = resolve(pose_format)
    return fmt.read(path)
