"""Copies of the bundled rat pose in other tools' formats, written by the libraries' writers.

Nothing here is hand-made: the values are the real DeepLabCut pose of
``datasets/rat_social_mini`` (read by mbr-search's DeepLabCut path), and each file is written
by its own tool's library: ``sleap-io`` for SLEAP ``.slp``, ``movement`` for SLEAP analysis
``.h5``, LightningPose ``.csv``, DeepLabCut ``.h5``/``.csv`` and NWB. A window where both
rats are tracked is taken (frames 1200 onwards) so every copy holds both animals.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from conftest import RAT_MINI

from mbr_search.data.labels import LabelSource, read_labels
from mbr_search.data.pose import Pose, read_pose
from mbr_search.data.pose_formats._movement import load_poses

START = 1200
RAT_DLC = RAT_MINI.parent / "dlc"
BEHAVIOURS = ("social", "nonsocial", "aggression")


def rat_file(number: int) -> Path:
    return RAT_DLC / f"{number}DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"


def rat_window(number: int, frames: int, start: int = START) -> Pose:
    """Frames ``start .. start+frames`` of rat video ``number`` as DeepLabCut gave them."""
    pose = read_pose(rat_file(number), "dlc")
    stop = start + frames
    return Pose(
        pose.xy[start:stop].copy(),
        pose.likelihood[start:stop].copy(),
        pose.individuals,
        pose.keypoints,
        pose.source,
    )


def movement_dataset(pose: Pose, fps: float = 30.0) -> Any:
    """The pose as a ``movement`` dataset (what movement's writers take)."""
    position = np.transpose(pose.xy, (0, 3, 2, 1))  # time, space, keypoints, individuals
    confidence = np.transpose(pose.likelihood, (0, 2, 1)).astype(np.float32)
    confidence[np.isnan(position[:, 0])] = np.nan
    return load_poses().from_numpy(
        position,
        confidence,
        individual_names=list(pose.individuals),
        keypoint_names=list(pose.keypoints),
        fps=fps,
        source_software="DeepLabCut",
    )


def write_slp(pose: Pose, path: Path, *, tracked: bool = True) -> Path:
    """A SLEAP predictions file written by sleap-io (with tracks, or without)."""
    import sleap_io as sio

    n = pose.n_frames
    video = sio.Video(filename=f"{path.stem}.mp4", open_backend=False)
    video.backend_metadata["shape"] = (n, 720, 1280, 1)  # the video's frame count
    skeleton = sio.Skeleton(list(pose.keypoints), name="rat")
    points = np.concatenate([pose.xy, pose.likelihood[..., None]], axis=-1)
    if tracked:
        tracks = [sio.Track(name) for name in pose.individuals]
        labels = sio.Labels.from_numpy(
            points, videos=[video], skeletons=skeleton, tracks=tracks, return_confidence=True
        )
    else:
        labels = _untracked(points, video, skeleton)
    sio.save_slp(labels, str(path))
    return path


def _untracked(points: np.ndarray, video: Any, skeleton: Any) -> Any:
    import sleap_io as sio

    frames = []
    for i, frame in enumerate(points):
        instances = [
            sio.PredictedInstance.from_numpy(animal[:, :2], skeleton=skeleton, score=1.0)
            for animal in frame
            if np.isfinite(animal[:, 0]).any()
        ]
        if instances:
            frames.append(sio.LabeledFrame(video=video, frame_idx=i, instances=instances))
    return sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton])


def write_with_movement(pose: Pose, folder: Path) -> dict[str, Path]:
    """DeepLabCut .h5/.csv, SLEAP analysis .h5, LightningPose .csv and NWB, by movement."""
    from movement.io import save_poses
    from pynwb import NWBHDF5IO

    folder.mkdir(parents=True, exist_ok=True)
    ds = movement_dataset(pose)
    out = {
        "dlc_h5": folder / "rat_dlc.h5",
        "dlc_csv": folder / "rat_dlc.csv",
        "sleap_analysis": folder / "rat.analysis.h5",
        "lightning_pose": folder / "rat_lp.csv",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        save_poses.to_dlc_file(ds, out["dlc_h5"], split_individuals=False)
        save_poses.to_dlc_file(ds, out["dlc_csv"], split_individuals=False)
        save_poses.to_sleap_analysis_file(ds, out["sleap_analysis"])
        one = ds.sel(individuals=[pose.individuals[0]])
        save_poses.to_lp_file(one, out["lightning_pose"])  # adds _<individual> to the name
        out["lightning_pose"] = folder / f"rat_lp_{pose.individuals[0]}.csv"
        nwb = save_poses.to_nwb_file(one)
        # LightningPose names its model in the scorer row; movement's writer says "movement".
        frames = save_poses.to_dlc_style_df(one, split_individuals=True)
        table = next(iter(frames.values()))  # type: ignore[union-attr]
        table.columns = table.columns.set_levels(["heatmap_tracker"], level="scorer")
        out["lightning_pose_named"] = folder / "rat_heatmap_tracker.csv"
        table.to_csv(out["lightning_pose_named"], sep=",")  # as movement's _save_dlc_df
    out["nwb"] = folder / "rat.nwb"
    with NWBHDF5IO(str(out["nwb"]), "w") as io:
        io.write(nwb)
    return out


def write_frame_labels(number: int, frames: int, path: Path, start: int = START) -> Path:
    """The real Caltech annotations of the same window, as a 0/1 frame CSV."""
    annot = RAT_MINI.parent / "annotations" / f"{number}_annot.txt"
    labels = read_labels(LabelSource(annot, "caltech"), BEHAVIOURS, n_frames=0, fps=30)
    window = labels.values[start : start + frames]
    pd.DataFrame(window, columns=list(BEHAVIOURS)).to_csv(path, index=False)
    return path
