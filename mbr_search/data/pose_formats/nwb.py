"""NWB files with an ndx-pose ``PoseEstimation`` (behavior module), read by ``movement``.

NWB keeps one subject per file, so an NWB pose file is one animal (``movement`` reads
``processing/behavior/PoseEstimation``).
"""

from __future__ import annotations

from pathlib import Path

from mbr_search.data.pose_formats._base import PoseFormat, hdf5_root, lower_name
from mbr_search.data.pose_formats._movement import library_read
from mbr_search.data.pose_model import Pose


def sniff(path: Path) -> str | None:
    root = hdf5_root(path)
    if root is None:
        return None
    if "nwb_version" in root[1] or (lower_name(path).endswith(".nwb") and "processing" in root[0]):
        return f"an NWB file (nwb_version {root[1].get('nwb_version', '?')})"
    return None


def read(path: Path) -> Pose:
    pose = library_read(path, "NWB", "nwb")
    # movement merges the keypoints in name order; the features follow the file's skeleton.
    nodes = _skeleton_nodes(path)
    if nodes is not None and sorted(nodes) == sorted(pose.keypoints):
        pose = pose.select(nodes)
    return pose


def _skeleton_nodes(path: Path) -> tuple[str, ...] | None:
    """The node order of the file's one ndx-pose skeleton (None when not exactly one)."""
    import h5py

    with h5py.File(path, "r") as handle:
        group = handle.get("processing/behavior/Skeletons")
        if not isinstance(group, h5py.Group) or len(group) != 1:
            return None
        nodes = next(iter(group.values())).get("nodes")
        if not isinstance(nodes, h5py.Dataset):
            return None
        return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in nodes[:])


FORMAT = PoseFormat(
    name="nwb",
    writes_it="NWB with ndx-pose (DeepLabCut/SLEAP exports, NeuroConv): .nwb, one animal",
    suffixes=(".nwb",),
    sniff=sniff,
    read=read,
)
