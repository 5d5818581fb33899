"""One keypoint schema for a whole dataset: the same keypoints and animals in every video.

Pose features are columns in keypoint order, animal by animal. A video whose file lists the
same keypoints in another column order would be turned into features column by column, each
feature then meaning another point than in the other videos: the search trains on that
without a word. Another keypoint set or number of animals gives features of another width,
which used to fail inside the first trial. So before any feature is computed, every video of
the dataset (train and test) is checked against one reference: the dataset's
``pose.keypoints`` when set, else the most common layout among the videos (the first
training video's on a tie; ``evaluate`` writes its order into model.json). A video with
the same keypoints in another order is read in the reference order (as ``predict`` does
for a new file); anything else is refused with the difference.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from mbr_search.config.dataset import Dataset, PoseSettings, VideoEntry
from mbr_search.data.pose_formats import detect, resolve
from mbr_search.data.pose_formats.dlc import dlc_style_header
from mbr_search.errors import DataError

_COORDS = ("x", "y", "likelihood")


@dataclass(frozen=True)
class PoseHeader:
    """What a pose file holds, without its values."""

    individuals: tuple[str, ...]
    keypoints: tuple[str, ...]


@dataclass(frozen=True)
class PoseSchema:
    """The keypoints (in feature order) and animal count every video must have."""

    keypoints: tuple[str, ...]
    animals: int
    #: video id -> its file's own keypoint order
    orders: dict[str, tuple[str, ...]]

    def settings_for(self, video: VideoEntry, settings: PoseSettings) -> PoseSettings:
        """``settings`` that read ``video`` in the schema's keypoint order. Unchanged when the
        file already has that order, so the feature cache of such videos stays valid."""
        if settings.keypoints is not None or self.orders.get(video.id) == self.keypoints:
            return settings
        return replace(settings, keypoints=self.keypoints)


def pose_header(path: Path, pose_format: str = "auto") -> PoseHeader:
    """Animals and keypoints of a pose file: from the header rows of a DeepLabCut-style
    CSV (cheap: this runs before every search), else from a full read."""
    from mbr_search.data.pose import read_pose

    fmt = detect(path)[0] if pose_format == "auto" and path.is_file() else None
    name = fmt.name if fmt is not None else pose_format
    if name in ("dlc", "lightning_pose", "auto"):
        head = dlc_style_header(path) if path.is_file() else None
        found = _csv_header(path, head) if head is not None else None
        if found is not None:
            return found
    if pose_format != "auto":
        resolve(pose_format)
    pose = read_pose(path, pose_format)
    return PoseHeader(pose.individuals, pose.keypoints)


def _csv_header(path: Path, head: list[list[str]]) -> PoseHeader | None:
    rows = {cell.strip().lower(): r for r, row in enumerate(head) for cell in row[:2]}
    label = 0 if any(c.strip().lower() == "bodyparts" for c in head[rows["bodyparts"]][:1]) else 1
    bodyparts = head[rows["bodyparts"]][label + 1 :]
    coords = [c.strip().lower() for c in head[rows["coords"]][label + 1 :]]
    if "individuals" in rows:
        animals = head[rows["individuals"]][label + 1 :]
    else:
        animals = ["single"] * len(bodyparts)
    if not (len(bodyparts) == len(coords) == len(animals)):
        return None  # a damaged header: the full read names what is wrong
    seen: set[tuple[str, str, str]] = set()
    for key in zip(animals, bodyparts, coords, strict=True):
        if key[2] in _COORDS and key in seen:
            raise DataError(
                f"{path}: the column {key[0]}/{key[1]}/{key[2]} appears twice in the header. "
                "Fix: re-export the pose file; each keypoint coordinate must appear once."
            )
        seen.add(key)
    kept = [i for i, c in enumerate(coords) if c in _COORDS]
    return PoseHeader(
        tuple(dict.fromkeys(animals[i] for i in kept)),
        tuple(dict.fromkeys(bodyparts[i] for i in kept)),
    )


def dataset_schema(dataset: Dataset) -> PoseSchema | None:
    """The schema every pose file of ``dataset`` meets (None: no video has a pose file).
    A DataError names the first video that differs from the reference, and how."""
    videos = [v for v in dataset.videos if v.pose is not None]
    if not videos:
        return None
    headers = {v.id: pose_header(v.pose, v.pose_format) for v in videos if v.pose is not None}
    reference = _reference(videos, headers)
    ref = headers[reference.id]
    wanted = dataset.pose.keypoints or ref.keypoints
    for video in videos:
        _check_video(dataset, video, headers[video.id], wanted, reference, ref)
    orders = {vid: h.keypoints for vid, h in headers.items()}
    return PoseSchema(tuple(wanted), len(ref.individuals), orders)


def _reference(videos: list[VideoEntry], headers: dict[str, PoseHeader]) -> VideoEntry:
    """The first training video of the most common layout (keypoint order, animals): one
    video saved another way is read in, or refused against, the others' layout, never the
    reverse."""

    def layout(v: VideoEntry) -> tuple[tuple[str, ...], int]:
        return headers[v.id].keypoints, len(headers[v.id].individuals)

    counts = Counter(layout(v) for v in videos)
    return sorted(videos, key=lambda v: (-counts[layout(v)], v.split != "train"))[0]


def _check_video(
    dataset: Dataset,
    video: VideoEntry,
    header: PoseHeader,
    wanted: tuple[str, ...],
    reference: VideoEntry,
    ref: PoseHeader,
) -> None:
    missing = [k for k in wanted if k not in header.keypoints]
    extra = [] if dataset.pose.keypoints else [k for k in header.keypoints if k not in wanted]
    if missing or extra:
        source = "pose.keypoints" if dataset.pose.keypoints else f"video '{reference.id}'"
        differs = "; ".join(
            part for part in (
                f"missing {missing}" if missing else "",
                f"not in the others {extra}" if extra else "",
            ) if part
        )  # fmt: skip
        raise DataError(
            f"{video.pose}: video '{video.id}' has keypoints {list(header.keypoints)}, "
            f"{source} of {dataset.path} has {list(wanted)} ({differs}). Fix: track every "
            "video with the same keypoints (or rename them), or list the shared ones in "
            "the dataset's pose.keypoints."
        )
    if len(header.individuals) != len(ref.individuals):
        raise DataError(
            f"{video.pose}: video '{video.id}' has {len(header.individuals)} animal(s) "
            f"{list(header.individuals)}, video '{reference.id}' of {dataset.path} has "
            f"{len(ref.individuals)} {list(ref.individuals)}. Fix: track the same number of "
            "animals in every video, or put these videos in another dataset."
        )
