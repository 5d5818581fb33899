"""Load a study's per-frame features and labels, aligned, from the cache.

Pose features are computed and cached on first use; CNN embeddings must have been written
by ``mbr-search embed`` (the error says exactly which command to run).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from mbr_search.config.dataset import Dataset, PoseSettings, VideoEntry
from mbr_search.config.embed import embed_command
from mbr_search.config.study import StudyConfig
from mbr_search.config.windows import WindowSettings
from mbr_search.data.labels import Labels, read_labels
from mbr_search.data.pose import read_pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError, MissingFeaturesError
from mbr_search.features import cache
from mbr_search.features.embeddings import find_embedding
from mbr_search.features.pose_features import FEATURE_VERSION, pose_features
from mbr_search.features.pose_schema import PoseSchema, dataset_schema
from mbr_search.features.windows import check_fits, window_blocks
from mbr_search.jsondoc import JSONObject
from mbr_search.scoring.labelled import LABEL_DTYPE, UNLABELLED, labelled_frames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoData:
    """One video's features (memory-mapped float16) and labels at the study's frame rate."""

    id: str
    split: str
    features: np.ndarray  # (frames, dim) float16, read-only memmap
    labels: np.ndarray  # (frames, behaviours) int8: 1, 0, UNLABELLED; 0 without labels
    has_labels: bool
    per_rater: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.features.shape[0])


def pose_cache_settings(pose: PoseSettings, source_fps: float, fps: float | None) -> dict:
    return {
        "kind": "pose",
        "version": FEATURE_VERSION,
        "keypoints": list(pose.keypoints) if pose.keypoints else None,
        "likelihood_threshold": pose.likelihood_threshold,
        "axis": list(pose.axis) if pose.axis else None,
        "source_fps": source_fps,
        "fps": fps,
    }


def pose_entry(
    video: VideoEntry, pose_settings: PoseSettings, fps: float | None, cache_root: Path
) -> cache.CacheEntry:
    """The cached pose features of ``video``, computed and written when absent."""
    if video.pose is None:
        raise DataError(f"video '{video.id}' has no pose file but the study uses pose features.")
    settings = pose_cache_settings(pose_settings, video.fps, fps)
    entry = cache.find_entry(
        cache_root, backbone="pose", video_id=video.id, settings=settings, inputs=[video.pose]
    )
    if entry is not None:
        return entry
    pose = read_pose(video.pose, video.pose_format)
    feats, dim = pose_features(pose, pose_settings, video.fps)
    idx = frame_indices(len(feats), video.fps, fps)
    with cache.FeatureWriter(
        cache_root,
        backbone="pose",
        video_id=video.id,
        settings=settings,
        inputs=[video.pose],
        n_frames=len(idx),
        dim=dim,
        extra={"source_frames": len(feats), "keypoints": list(pose.keypoints)},
    ) as writer:
        writer.write(0, feats[idx])
        return writer.commit()


class _StudyWindows(enum.Enum):
    """The type of :data:`STUDY_WINDOWS` (a one-member enum: mypy narrows ``is`` on it)."""

    STUDY = "the study's features.windows"


#: ``windows=`` default of :func:`load_video`: the study's fixed ``features.windows``.
STUDY_WINDOWS: Literal[_StudyWindows.STUDY] = _StudyWindows.STUDY
#: A ``windows=`` argument: window settings, None (no windows) or :data:`STUDY_WINDOWS`.
WindowsArg = WindowSettings | None | _StudyWindows


def load_video(
    study: StudyConfig,
    video: VideoEntry,
    *,
    need_labels: bool = True,
    windows: WindowsArg = STUDY_WINDOWS,
    schema: PoseSchema | None = None,
) -> VideoData:
    """Features and aligned labels of one video of ``study``'s dataset, with ``windows``
    (default: the study's fixed ``features.windows``; a trial's choice otherwise), its
    keypoints read in ``schema``'s order when given (:func:`load_split` gives it)."""
    if study.uses_pose_features:
        pose = study.dataset.pose
        settings = schema.settings_for(video, pose) if schema is not None else pose
        entry = pose_entry(video, settings, study.fps, study.cache_dir)
    else:
        entry = _embedding_entry(study, video)
    source_frames = int(entry.manifest.get("source_frames", 0)) or None
    if windows is STUDY_WINDOWS:
        windows = study.windows
    if windows is not None:
        fps = study.fps or video.fps
        entry = window_entry(entry, windows, fps, study.cache_dir, video.id)
    features = entry.load()
    labels = np.zeros((len(features), len(study.behaviours)), dtype=LABEL_DTYPE)
    per_rater: dict[str, np.ndarray] = {}
    has_labels = video.labels is not None
    if video.labels is None:
        if need_labels:
            raise DataError(
                f"{study.dataset.path}: video '{video.id}' has no labels but is in the "
                f"'{video.split}' split. Fix: add its labels file, or remove it from the dataset."
            )
    else:
        n_src = source_frames or len(features)
        raw = read_labels(video.labels, study.behaviours, n_frames=n_src, fps=video.fps)
        raw = _fit_length(raw, n_src, study.dataset, video)
        idx = frame_indices(n_src, video.fps, study.fps)
        if len(idx) != len(features):
            raise DataError(
                f"{entry.array_path}: {len(features)} cached frames but labels give {len(idx)} at "
                f"{study.fps or video.fps} fps. Fix: delete the cache entry and re-run."
            )
        labels = raw.values[idx]
        per_rater = {r: m[idx] for r, m in raw.per_rater.items()}
        _check_labelled_somewhere(labels, video)
    _check_finite(features, entry.array_path)
    cache.release_pages(features)
    return VideoData(video.id, video.split, features, labels, has_labels, per_rater)


def window_entry(
    base: cache.CacheEntry, windows: WindowSettings, fps: float, cache_root: Path, video_id: str
) -> cache.CacheEntry:
    """The window features of a cached entry, computed block by block and cached beside it."""
    settings = {"kind": "windows", "base": base.manifest["settings"], **windows.as_dict()}
    settings["fps"] = fps
    inputs = [Path(p) for p in base.manifest["inputs"]]
    backbone = f"{base.manifest['backbone']}+windows"
    found = cache.find_entry(
        cache_root, backbone=backbone, video_id=video_id, settings=settings, inputs=inputs
    )
    if found is not None:
        return found
    x = base.load()
    check_fits(windows, fps, len(x), video_id)
    kept = ("source_frames", "keypoints")
    extra: JSONObject = {k: base.manifest[k] for k in kept if k in base.manifest}
    with cache.FeatureWriter(
        cache_root, backbone=backbone, video_id=video_id, settings=settings, inputs=inputs,
        n_frames=len(x), dim=windows.out_dim(x.shape[1]), extra=extra,
    ) as writer:  # fmt: skip
        for start, block in window_blocks(x, fps, windows):
            writer.write(start, block)
        cache.release_pages(x)
        return writer.commit()


def load_split(
    study: StudyConfig, split: str, windows: WindowsArg = STUDY_WINDOWS
) -> list[VideoData]:
    """All videos of one split (``train`` or ``test``), with ``windows`` as in load_video,
    once every pose file of the dataset (both splits) has the same keypoints and animals
    (features/pose_schema.py: reordered by name, or refused with the difference)."""
    schema = dataset_schema(study.dataset) if study.uses_pose_features else None
    return [
        load_video(study, v, windows=windows, schema=schema) for v in study.dataset.split(split)
    ]


def with_windows(video: VideoData, windows: WindowSettings, fps: float) -> VideoData:
    """``video`` with window features computed in memory (float16, as the cache stores
    them; block by block, so only the output is held), for a model's own windows at
    prediction time. The same numbers as the cached entry of the same base features."""
    x = video.features
    check_fits(windows, fps, len(x), video.id)
    out = np.empty((len(x), windows.out_dim(x.shape[1])), dtype=np.float16)
    for start, block in window_blocks(x, fps, windows):
        out[start : start + len(block)] = block
    return VideoData(video.id, video.split, out, video.labels, video.has_labels, video.per_rater)


def _fit_length(raw: Labels, n_src: int, dataset: Dataset, video: VideoEntry) -> Labels:
    _check_furthest(raw, n_src, dataset, video)
    n_lab = len(raw.values)
    if not raw.has_length or n_lab == n_src:
        return raw
    diff = n_lab - n_src
    if abs(diff) > dataset.length_tolerance:
        word = "longer" if diff > 0 else "shorter"
        assert video.labels is not None
        raise DataError(
            f"{video.labels.path}: labels have {n_lab} frames, the pose/video has {n_src} "
            f"(labels {word} by {abs(diff)}); tolerance is {dataset.length_tolerance} frames. "
            f"Fix: check you paired the right files, or raise length_tolerance in {dataset.path}."
        )
    log.info("%s: labels %+d frames vs pose; padded/trimmed (tolerance)", video.id, diff)
    values = np.full((n_src, raw.values.shape[1]), UNLABELLED, dtype=LABEL_DTYPE)
    n = min(n_src, n_lab)
    values[:n] = raw.values[:n]
    return Labels(values, raw.behaviours, raw.per_rater, raw.has_length)


def _check_labelled_somewhere(labels: np.ndarray, video: VideoEntry) -> None:
    """A video whose labels mark no frame as labelled would train and score on nothing."""
    if labelled_frames(labels).any():
        return
    assert video.labels is not None
    raise DataError(
        f"{video.labels.path}: video '{video.id}' has no labelled frame (every frame is outside "
        "what its labels file marks as labelled), so it can neither train nor score a model. "
        "Fix: label at least one stretch of it, or remove it from the dataset."
    )


def _check_furthest(raw: Labels, n_src: int, dataset: Dataset, video: VideoEntry) -> None:
    """An interval of any stream ending past the video, beyond ``length_tolerance``: the
    file belongs to another (longer) video, or was edited; cutting it would hide that."""
    if raw.furthest is None or video.labels is None:
        return
    stop, where = raw.furthest
    if stop - n_src > dataset.length_tolerance:
        raise DataError(
            f"{video.labels.path}: {where} ends at frame {stop}, past the end of video "
            f"'{video.id}' ({n_src} frames) by {stop - n_src}; tolerance is "
            f"{dataset.length_tolerance} frames. Fix: correct that interval, check you paired "
            f"the right files, or raise length_tolerance in {dataset.path}."
        )


def _check_finite(features: np.ndarray, path: Path) -> None:
    # Chunked so a large memmap is never loaded whole.
    step = 4096
    for start in range(0, len(features), step):
        block = np.asarray(features[start : start + step], dtype=np.float32)
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise DataError(
                f"{path}: NaN/inf in cached features at frame {row}. Fix: delete this file and "
                "recompute it (mbr-search embed --force, or re-run for pose features)."
            )


def _embedding_entry(study: StudyConfig, video: VideoEntry) -> cache.CacheEntry:
    assert study.embed is not None
    entry = find_embedding(study.cache_dir, video, study.embed)
    if entry is not None:
        return entry
    command = embed_command(study.dataset.path, study.embed, study.cache_dir)
    raise MissingFeaturesError(
        f"no cached {study.embed.backbone} embeddings for video '{video.id}' of "
        f"{study.dataset.path}. Fix: run `{command}` first."
    )
