"""The one door to ``movement`` (the maintained pose reader): a lazy import, kept quiet.

``movement`` and what it pulls in (xarray, pynwb, sleap-io) take seconds to import, so they
are imported here, on the first pose file read, never when the CLI starts. At import
``movement`` also adds a console log handler, a log file in ``~/.movement`` and its own
``warnings.showwarning``; mbr-search speaks to the user through its own one-line errors,
so all three are undone here and the library's messages are kept out of the user's terminal.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.data.pose_model import Pose
from mbr_search.errors import DataError
from mbr_search.paths import cache_dir

_LOADED: dict[str, Any] = {}


def load_poses() -> Any:
    """``movement.io.load_poses``, imported once with its logging switched off."""
    if "load_poses" not in _LOADED:
        # movement writes its log file under $HOME/.movement when imported: point HOME at
        # mbr-search's cache folder for the import, so nothing lands in the user's home.
        home = os.environ.get("HOME")
        shown = warnings.showwarning
        os.environ["HOME"] = str(cache_dir())
        try:
            from movement.io import load_poses as module
            from movement.utils.logging import logger
        finally:
            if home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = home
            warnings.showwarning = shown
        logger.remove()
        _LOADED["load_poses"] = module
    return _LOADED["load_poses"]


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("movement")


def library_read(path: Path, software: str, format_name: str) -> Pose:
    """Read ``path`` with ``movement.io.load_poses.from_file`` into a :class:`Pose`."""
    module = load_poses()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = module.from_file(path, source_software=software)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise DataError(
            f"{path}: cannot read it as {format_name} ({type(exc).__name__}: {reason}). Fix: "
            "check pose_format in the dataset manifest, or export the file again."
        ) from None
    return from_dataset(ds, path, f"{format_name} via movement {version()}")


def from_dataset(ds: Any, path: Path, reader: str) -> Pose:
    """A movement poses dataset (time, space, keypoints, individuals) as a :class:`Pose`."""
    space = [str(s) for s in ds.position.coords["space"].values]
    if space != ["x", "y"]:
        raise DataError(
            f"{path}: the pose has coordinates {space}; mbr-search computes features from 2D "
            "image coordinates (x, y). Fix: give the 2D pose of one camera."
        )
    position = ds.position.transpose("time", "individuals", "keypoints", "space").values
    confidence = ds.confidence.transpose("time", "individuals", "keypoints").values
    xy = np.asarray(position, dtype=np.float32)
    seen = np.isfinite(xy).all(axis=-1)
    xy[~seen] = np.nan
    conf = np.asarray(confidence, dtype=np.float32)
    # No score (a hand-labelled SLEAP instance, an NWB series without confidence) means a
    # point that is there for sure; a missing point has likelihood 0, as in DeepLabCut.
    lik = np.where(np.isfinite(conf), conf, 1.0).astype(np.float32)
    lik[~seen] = 0.0
    if xy.shape[0] == 0 or not seen.any():
        raise DataError(f"{path}: the pose file has no x/y values. Fix: check the export.")
    individuals = tuple(str(i) for i in ds.position.coords["individuals"].values)
    keypoints = tuple(str(k) for k in ds.position.coords["keypoints"].values)
    return Pose(xy, lik, individuals, keypoints, path, reader)
