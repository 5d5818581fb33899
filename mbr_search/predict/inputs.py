"""Turn a user's input files into the features a model directory was trained on.

Pose models take DeepLabCut pose files and recompute the same pose features (same keypoints
in the same order, same axis and likelihood threshold); CNN models take videos and embed
them with the same backbone, weights and crop. Both go through the feature cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.config.dataset import PoseSettings
from mbr_search.data.pose import POSE_SUFFIXES
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError, UsageError
from mbr_search.features.cache import CacheEntry
from mbr_search.features.store import VideoData
from mbr_search.inference.model_dir import ModelDir

if TYPE_CHECKING:
    from mbr_search.inference.tta import TtaVideo

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".wmv", ".m4v", ".webm")


@dataclass(frozen=True)
class Prepared:
    """One input ready for the model: its features and where its frames come from."""

    source: Path
    name: str
    video: VideoData
    #: source frame shown at each model frame (None when unknown)
    source_frames: np.ndarray | None


def input_name(path: Path) -> str:
    """File name without its pose/video suffix (``a_DLC.csv.gz`` -> ``a_DLC``)."""
    name = path.name
    for suffix in sorted(POSE_SUFFIXES + VIDEO_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def kind_of(path: Path) -> str:
    """``pose``, ``video`` or ``unknown`` from the file name."""
    name = path.name.lower()
    if name.endswith(POSE_SUFFIXES):
        return "pose"
    if name.endswith(VIDEO_SUFFIXES):
        return "video"
    return "unknown"


def check_inputs(model: ModelDir, inputs: list[Path], poses: list[Path] | None) -> None:
    """Refuse, before any heavy work, inputs of the wrong kind for the model's backbone."""
    want = "pose" if model.backbone == "pose" else "video"
    for path in inputs:
        if not path.is_file():
            raise UsageError(f"{path}: input file not found. Fix: check the path.")
        kind = kind_of(path)
        if kind == want:
            continue
        if want == "pose":
            raise UsageError(
                f"{path}: the model in {model.path} uses pose features (backbone: pose) but "
                f"this input is {'a video' if kind == 'video' else 'not a pose file'}. Fix: "
                f"give its pose file (DeepLabCut, SLEAP, LightningPose or NWB: "
                f"{', '.join(POSE_SUFFIXES)})."
            )
        raise UsageError(
            f"{path}: the model in {model.path} uses {model.backbone} embeddings of the video "
            f"but this input is {'a pose file' if kind == 'pose' else 'not a video'}. Fix: give "
            f"the video ({', '.join(VIDEO_SUFFIXES[:4])}, ...) and its pose with --pose."
        )
    if poses and (want == "pose" or len(poses) != len(inputs)):
        raise UsageError(
            f"--pose given {len(poses)} time(s) for {len(inputs)} input(s): --pose pairs one "
            "pose file with each video input, in order, and only for CNN models."
        )
    if want == "video" and model.cnn_features.uses_pose and not poses:
        raise UsageError(
            f"the model in {model.path} was trained on crops centred on the animal's pose. "
            "Fix: give each video's DeepLabCut pose file with --pose, in the same order."
        )
    names = [input_name(p) for p in inputs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(
            f"inputs share the name(s) {dupes}; their outputs would overwrite each other. "
            "Fix: rename them or predict them into different --out folders."
        )


def validate(model: ModelDir, inputs: list[Path], poses: list[Path] | None) -> None:
    """Every check that needs no model weights: input kinds, names, keypoints, animals."""
    check_inputs(model, inputs, poses)
    if model.backbone == "pose":
        for path in inputs:
            check_pose_file(model, path)


def check_pose_file(model: ModelDir, path: Path) -> None:
    """The pose file has the model's keypoints and number of animals (lists both if not)."""
    from mbr_search.data.pose import read_pose

    pose = read_pose(path)
    features = model.pose_features
    wanted = list(features.keypoints)
    missing = [k for k in wanted if k not in pose.keypoints]
    if missing:
        raise DataError(
            f"{path}: keypoints {list(pose.keypoints)} differ from the model's {wanted} "
            f"(missing: {missing}). Fix: track this video with the same DeepLabCut keypoints "
            "as the training videos."
        )
    animals = len(features.individuals) or 1
    if len(pose.individuals) != animals:
        raise DataError(
            f"{path}: {len(pose.individuals)} animal(s) {list(pose.individuals)}, the model was "
            f"trained on {animals} {list(features.individuals)}. Fix: use pose files with "
            "the same number of tracked animals."
        )


def prepare(
    model: ModelDir,
    path: Path,
    *,
    source_fps: float | None,
    pose: Path | None,
    cache_root: Path,
) -> Prepared:
    """Features of one input, at the model's frame rate, checked against the model."""
    name = input_name(path)
    fps: float | None
    if model.backbone == "pose":
        entry, fps = _pose_entry(model, path, source_fps, cache_root)
    else:
        entry, fps = _video_entry(model, path, pose, source_fps, cache_root)
    features = entry.load()
    if features.shape[1] != model.feature_dim:
        raise DataError(
            f"{path}: {features.shape[1]} features per frame, the model expects "
            f"{model.feature_dim}. Fix: give an input recorded like the training videos."
        )
    n_source = int(entry.manifest.get("source_frames") or 0)
    source_frames = None
    if n_source and fps:
        idx = frame_indices(n_source, fps, model.fps)
        source_frames = idx if len(idx) == len(features) else None
    labels = np.zeros((len(features), len(model.behaviours)), dtype=np.uint8)
    return Prepared(path, name, VideoData(name, "predict", features, labels, False), source_frames)


def _pose_entry(
    model: ModelDir, path: Path, source_fps: float | None, cache_root: Path
) -> tuple[CacheEntry, float]:
    from mbr_search.config.dataset import VideoEntry
    from mbr_search.features.store import pose_entry

    fps = source_fps or model.source_fps
    if not fps:
        raise UsageError(
            f"{path}: a pose file does not say its frame rate and the training videos had "
            "several. Fix: pass --fps, the frame rate of the input video."
        )
    entry = VideoEntry(input_name(path), "predict", float(fps), path, None, None)
    return pose_entry(entry, pose_settings(model), model.fps, cache_root), float(fps)


def pose_settings(model: ModelDir) -> PoseSettings:
    """The pose settings a pose model's features were computed with."""
    features = model.pose_features
    return PoseSettings(
        keypoints=features.keypoints,
        likelihood_threshold=features.likelihood_threshold,
        axis=features.axis,
    )


def tta_input(model: ModelDir, prepared: Prepared, source_fps: float | None) -> TtaVideo:
    """A prepared pose input with its test-time augmented views (``inference/tta.py``):
    the transforms of the study's ``features.augment`` as model.json records it (the
    defaults for a model.json written before it did), the same views ``evaluate`` uses."""
    from mbr_search.data.pose import read_pose
    from mbr_search.inference.tta import check_backbone, transform_set, tta_video

    check_backbone(model.backbone, f"the model in {model.path}")
    fps = float(source_fps or model.source_fps or 0)
    pose = read_pose(prepared.source)
    transforms = transform_set(model.pose_features.augment, pose.xy.shape[1])
    return tta_video(prepared.video, pose, pose_settings(model), (fps, model.fps), transforms)


def _video_entry(
    model: ModelDir, path: Path, pose: Path | None, source_fps: float | None, cache_root: Path
) -> tuple[CacheEntry, float | None]:
    from mbr_search.features.embed.pipeline import embed_video

    entry = embed_video(
        path, pose, model.cnn_features.embed, video_id=input_name(path), source_fps=source_fps,
        cache_root=cache_root, progress=False,
    )  # fmt: skip
    fps = source_fps or entry.manifest.get("settings", {}).get("source_fps")
    return entry, (float(fps) if fps else None)
