"""SLEAP pose: labels/predictions files (``.slp``) and analysis exports (``.h5``).

``movement`` reads both. Two things are checked here first, because ``movement`` would go
on with a wrong answer: a file without tracks that holds several animals per frame (it keeps
one instance per frame and drops the others), and predictions whose last frames have no
instance (it stops at the last labelled frame; the video's frame count is in the file).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from mbr_search.data.pose_formats._base import PoseFormat, hdf5_root, lower_name
from mbr_search.data.pose_formats._movement import library_read, load_poses
from mbr_search.data.pose_model import Pose
from mbr_search.errors import DataError

_ANALYSIS_KEYS = {"tracks", "node_names", "track_names"}


def sniff(path: Path) -> str | None:
    root = hdf5_root(path)
    if root is None:
        return None
    if lower_name(path).endswith(".slp") or {"frames", "instances", "points"} <= root[0]:
        return "a SLEAP labels file (.slp)"
    if root[0] >= _ANALYSIS_KEYS:
        return "a SLEAP analysis file (tracks, node_names, track_names)"
    return None


def read(path: Path) -> Pose:
    root = hdf5_root(path)
    if root is None:
        raise DataError(f"{path}: not an HDF5 file, so not a SLEAP file. Fix: check the path.")
    if root[0] >= _ANALYSIS_KEYS:
        _check_analysis_tracks(path)
        return library_read(path, "SLEAP", "sleap")
    n_frames = _check_labels(path)
    pose = library_read(path, "SLEAP", "sleap")
    if n_frames is not None and n_frames > pose.n_frames:
        pose = _pad(pose, n_frames)
    return pose


def _no_tracks(path: Path, frame: int, count: int) -> DataError:
    return DataError(
        f"{path}: the SLEAP file has no tracks, and frame {frame} holds {count} animals: "
        "which animal is which cannot be followed from frame to frame. Fix: track the "
        "predictions in SLEAP (sleap-track --tracking.tracker ..., or Tracks in the GUI) and "
        "export again."
    )


def _check_labels(path: Path) -> int | None:
    """Refuse untracked multi-animal labels; the video's frame count when the file has it."""
    load_poses()  # movement imports sleap_io, with its logging switched off
    import sleap_io

    try:
        labels = sleap_io.load_slp(str(path), open_videos=False)
    except (OSError, ValueError, KeyError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataError(
            f"{path}: cannot read the SLEAP file ({reason}). Fix: export it again."
        ) from None
    if not labels.labeled_frames:
        raise DataError(f"{path}: the SLEAP file has no labelled frames. Fix: check the export.")
    if not labels.tracks:
        for lf in labels.labeled_frames:
            if len(lf.instances) > 1:
                raise _no_tracks(path, int(lf.frame_idx), len(lf.instances))
    shape = labels.videos[0].shape if labels.videos else None
    return int(shape[0]) if shape else None


def _check_analysis_tracks(path: Path) -> None:
    import h5py

    with h5py.File(path, "r") as handle:
        names = list(handle["track_names"][:])
        tracks = handle["tracks"]  # (tracks, 2, nodes, frames)
        if not names and tracks.shape[0] > 1:
            counts = np.isfinite(tracks[:, 0]).any(axis=1).sum(axis=0)
            frame = int(np.argmax(counts > 1))
            raise _no_tracks(path, frame, int(counts[frame]))


def _pad(pose: Pose, n_frames: int) -> Pose:
    """Frames after the last one with an instance: nothing seen (NaN), as in the video."""
    extra = n_frames - pose.n_frames
    xy = np.concatenate([pose.xy, np.full((extra, *pose.xy.shape[1:]), np.nan, np.float32)])
    lik = np.concatenate([pose.likelihood, np.zeros((extra, *pose.likelihood.shape[1:]))])
    return replace(pose, xy=xy, likelihood=lik.astype(np.float32))


FORMAT = PoseFormat(
    name="sleap",
    writes_it="SLEAP: labels/predictions .slp, analysis .h5 (tracked)",
    suffixes=(".slp", ".h5", ".hdf5"),
    sniff=sniff,
    read=read,
)
