"""The registry of pose formats: one module and one entry per format, nothing else to edit.

A new format is a module with a ``FORMAT`` (:class:`PoseFormat`: name, suffixes, ``sniff``,
``read``) and one line in ``_REGISTERED``. ``auto`` asks each format in this order whether it
recognises the file (the more specific first: LightningPose shares DeepLabCut's layout).
"""

from __future__ import annotations

from pathlib import Path

from mbr_search.data.pose_formats import dlc, lightning_pose, nwb, sleap
from mbr_search.data.pose_formats._base import PoseFormat, csv_head, hdf5_root, lower_name
from mbr_search.errors import DataError

_REGISTERED = (sleap.FORMAT, nwb.FORMAT, lightning_pose.FORMAT, dlc.FORMAT)

FORMATS: dict[str, PoseFormat] = {f.name: f for f in _REGISTERED}
#: what the manifest's ``pose_format`` accepts
POSE_FORMATS: tuple[str, ...] = ("auto", *sorted(FORMATS))
#: file names a pose file may end with, longest first
POSE_SUFFIXES: tuple[str, ...] = tuple(
    sorted({s for f in _REGISTERED for s in f.suffixes}, key=lambda s: (-len(s), s))
)

__all__ = ["FORMATS", "POSE_FORMATS", "POSE_SUFFIXES", "PoseFormat", "detect", "resolve"]


def resolve(name: str) -> PoseFormat:
    """The format called ``name`` (not ``auto``); an unknown name is a DataError."""
    if name not in FORMATS:
        raise DataError(f"pose_format {name!r} is unknown. Fix: use one of {list(POSE_FORMATS)}.")
    return FORMATS[name]


def detect(path: Path) -> tuple[PoseFormat, str]:
    """The format of ``path`` and what was found in it; DataError listing them if none."""
    for fmt in _REGISTERED:
        found = fmt.sniff(path)
        if found is not None:
            return fmt, found
    raise DataError(
        f"{path}: pose_format auto cannot tell the format: {_what_it_is(path)}. Fix: set "
        f"pose_format in the dataset manifest to one of {sorted(FORMATS)} "
        f"({'; '.join(FORMATS[n].writes_it for n in sorted(FORMATS))}), or export the "
        "pose as one of them."
    )


def _what_it_is(path: Path) -> str:
    name = lower_name(path)
    if name.endswith((".csv", ".csv.gz")) and csv_head(path) is not None:
        return (
            "not a DeepLabCut pose CSV (no 'bodyparts'/'coords' header rows) nor another "
            "layout it knows"
        )
    root = hdf5_root(path)
    if root is not None:
        return f"an HDF5 file with keys {sorted(root[0])[:6]}, none of a known pose layout"
    ending = "".join(path.suffixes[-2:]) or "(none)"
    return f"a file ending {ending!r}, not HDF5, in no pose layout it knows"
