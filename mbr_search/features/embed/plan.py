"""Planning one video's embedding: validate its inputs, pick frames, place the crops.

Everything here runs before the backbone is built, so bad input fails in seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mbr_search.config.embed import EmbedSettings
from mbr_search.data.pose import read_pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError
from mbr_search.features.embed.backbones import has_gpu
from mbr_search.features.embed.crop import crop_centres
from mbr_search.features.embed.video import VideoInfo, probe_video
from mbr_search.features.embeddings import entry_settings
from mbr_search.jsondoc import JSONObject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One video to embed, as the caller described it."""

    video_id: str
    video: Path
    pose: Path | None
    source_fps: float | None
    length_tolerance: int
    tolerance_hint: str
    #: the pose file's format, as the dataset says for this video (auto: sniffed)
    pose_format: str = "auto"


@dataclass
class Plan:
    """A validated job: which source frames to read and where to crop them."""

    job: Job
    info: VideoInfo
    source_fps: float
    indices: np.ndarray
    #: (n_out, 2) crop centres; None for full_frame
    centres: np.ndarray | None
    mode: str
    crop_size: int
    settings: JSONObject
    stats: JSONObject = field(default_factory=dict)

    @property
    def n_out(self) -> int:
        return len(self.indices)


def prepare(job: Job, settings: EmbedSettings) -> Plan:
    """Check one job's inputs and work out frames and crop centres (no decoding yet)."""
    info = probe_video(job.video)
    fps = job.source_fps or info.fps
    if fps is None:
        raise DataError(
            f"{job.video}: the video does not state its frame rate. Fix: set fps for it in "
            "the dataset file (or --source-fps)."
        )
    if info.fps is not None and abs(info.fps - fps) > 0.01 * fps:
        log.warning("%s: file says %.3f fps, the dataset says %.3f; using %.3f", job.video,
                    info.fps, fps, fps)  # fmt: skip
    crop = settings.crop
    centres_all: np.ndarray | None = None
    stats: JSONObject = {"frames_filled": 0, "pose_rows": None, "keypoints": None}
    if job.pose is not None:
        pose = read_pose(job.pose, job.pose_format)
        difference = abs(pose.n_frames - info.n_frames)
        if difference > job.length_tolerance:
            raise DataError(
                f"{job.pose}: {pose.n_frames} pose rows but {job.video.name} has "
                f"{info.n_frames} frames (difference {difference} > {job.tolerance_hint} = "
                f"{job.length_tolerance}). Fix: use the pose file made from this video, or "
                f"raise {job.tolerance_hint}."
            )
        track = crop_centres(pose, crop, info.n_frames)
        centres_all = track.xy
        stats.update(
            frames_filled=track.n_filled,
            pose_rows=pose.n_frames,
            keypoints=list(track.keypoints),
            individual=track.individual,
        )
    mode = "crop" if centres_all is not None else crop.missing
    if mode == "error":
        why = "no pose file" if job.pose is None else "no keypoint above the likelihood threshold"
        raise DataError(
            f"{job.pose or job.video}: {why}, so the crop has no centre and crop.missing is "
            "'error'. Fix: give a pose file, lower the likelihood threshold, or set "
            "crop.missing / --missing to full_frame or centre."
        )
    if mode in ("crop", "centre") and crop.size > min(info.width, info.height):
        raise DataError(
            f"{job.video}: crop size {crop.size} px is larger than the {info.width}x"
            f"{info.height} frame. Fix: use a crop size <= {min(info.width, info.height)} "
            "(--crop-size or features.crop.size)."
        )
    if mode == "centre":
        centres_all = np.tile([(info.width - 1) / 2, (info.height - 1) / 2], (info.n_frames, 1))
    indices = frame_indices(info.n_frames, fps, settings.fps)
    centres = centres_all[indices] if centres_all is not None else None
    stats["frames_without_pose"] = 0 if mode == "crop" else len(indices)
    key = entry_settings(settings, fps)
    return Plan(job, info, float(fps), indices, centres, mode, crop.size, key, stats)


def describe(plan: Plan, settings: EmbedSettings) -> JSONObject:
    """What the manifest says about how this entry was made (beyond the keyed settings)."""
    info = plan.info
    return {
        "video": {
            "path": str(info.path),
            "frames": info.n_frames,
            "fps_in_file": info.fps,
            "width": info.width,
            "height": info.height,
        },
        "source_fps": plan.source_fps,
        "target_fps": settings.fps,
        "frames": plan.n_out,
        "source_frame_of_first_and_last": [int(plan.indices[0]), int(plan.indices[-1])],
        "crop_mode": plan.mode,
        "crop_mode_meaning": _MODE_TEXT[plan.mode],
        **plan.stats,
        "weights": settings.weights,
        "device": "GPU" if has_gpu() else "CPU",
    }


_MODE_TEXT = {
    "crop": "square crop centred on the pose; gaps interpolated, ends held",
    "full_frame": "no usable pose: whole frame padded to a square and resized",
    "centre": "no usable pose: crop of the configured size at the frame centre",
}
