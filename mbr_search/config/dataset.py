"""Dataset manifests: one YAML file listing a lab's videos (the thesis' Table A.1 as data).

See ``docs/usage.md`` for the schema. Paths are relative to the manifest's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mbr_search.config._schema import Section
from mbr_search.config._yaml import load_yaml_mapping
from mbr_search.data.labels import LABEL_FORMATS, OBSERVED_CODE, LabelSource
from mbr_search.data.pose import POSE_FORMATS
from mbr_search.errors import ConfigError
from mbr_search.safe_names import plain_name

SPLITS = ("train", "test")


@dataclass(frozen=True)
class PoseSettings:
    """How keypoints become features: which points, which are trusted, the body axis."""

    keypoints: tuple[str, ...] | None = None
    likelihood_threshold: float = 0.5
    #: (rear, front) keypoints that define the body axis; None: estimated from the points
    axis: tuple[str, str] | None = None


@dataclass(frozen=True)
class VideoEntry:
    """One recording: its pose, its video, its labels, and whether it is for training."""

    id: str
    split: str
    fps: float
    pose: Path | None
    video: Path | None
    labels: LabelSource | None
    #: a name in mbr_search.data.pose.POSE_FORMATS; ``auto`` recognises the file's format
    pose_format: str = "auto"


@dataclass(frozen=True)
class Dataset:
    """A parsed, validated dataset manifest."""

    name: str
    path: Path
    videos: tuple[VideoEntry, ...]
    pose: PoseSettings
    length_tolerance: int
    behaviours: tuple[str, ...]
    licence: str | None = None

    def split(self, name: str) -> tuple[VideoEntry, ...]:
        return tuple(v for v in self.videos if v.split == name)

    def video(self, video_id: str) -> VideoEntry:
        for v in self.videos:
            if v.id == video_id:
                return v
        raise KeyError(video_id)


def load_dataset(path: Path) -> Dataset:
    """Read and validate a dataset manifest; every referenced file must exist."""
    path = path.expanduser()
    root = Section(load_yaml_mapping(path, "dataset"), path)
    name = root.text("name", path.stem)
    root.text("description", "")
    licence = root.text("licence", None)
    root.raw("source", None)
    fps = root.number("fps", None, minimum=1e-6)
    tolerance = root.integer("length_tolerance", 10, minimum=0)
    behaviours = root.names("behaviours", ())
    pose = _pose_settings(root.section("pose"))
    pose_format = root.text("pose_format", "auto", choices=POSE_FORMATS)
    label_defaults = root.mapping("labels")
    entries = root.seq("videos")
    if not entries:
        raise root.fail("videos", "the dataset lists no videos. Fix: add at least one entry.")
    videos: list[VideoEntry] = []
    seen_ids: dict[str, int] = {}
    seen_files: dict[Path, tuple[str, str]] = {}
    for i, raw in enumerate(entries):
        sec = Section(raw, path, f"videos[{i}]")
        video = _video_entry(sec, fps, label_defaults, pose_format)
        if video.id in seen_ids:
            raise sec.fail(
                "id",
                f"duplicate video id '{video.id}' (also videos[{seen_ids[video.id]}]). "
                "Fix: give every video its own id; a video is either train or test.",
            )
        seen_ids[video.id] = i
        _refuse_shared_files(sec, video, seen_files)
        videos.append(video)
    root.finish()
    return Dataset(name, path, tuple(videos), pose, tolerance, behaviours, licence)


def _pose_settings(sec: Section) -> PoseSettings:
    kps = sec.names("keypoints", None)
    axis = sec.names("axis", None)
    if axis is not None and len(axis) != 2:
        raise sec.fail("axis", f"needs exactly two keypoints [rear, front], got {list(axis)}.")
    if axis is not None and kps is not None:
        for point in axis:
            if point not in kps:
                raise sec.fail("axis", f"'{point}' is not in pose.keypoints {list(kps)}.")
    pose = PoseSettings(
        keypoints=kps,
        likelihood_threshold=sec.number(
            "likelihood_threshold", PoseSettings.likelihood_threshold, 0.0, 1.0
        ),
        axis=(axis[0], axis[1]) if axis is not None else None,
    )
    sec.finish()
    return pose


def _video_entry(
    sec: Section, fps: float | None, label_defaults: Any, pose_format: str
) -> VideoEntry:
    base = sec.file.parent
    # The id names the video's prediction and summary files: a path would escape --out.
    vid = plain_name(str(sec.raw("id")), sec.key("id"), sec.file)
    split = sec.text("split", "train", choices=SPLITS)
    v_fps = sec.number("fps", fps, minimum=1e-6)
    if v_fps is None:
        raise sec.fail("fps", "no frame rate: set fps for this video or at the top.")
    pose_file = _file(sec, "pose", base)
    # One video may come from another tool than the rest of the dataset.
    pose_format = sec.text("pose_format", pose_format, choices=POSE_FORMATS)
    video_file = _file(sec, "video", base)
    if pose_file is None and video_file is None:
        raise sec.fail("pose", "a video needs a pose file, a video file, or both.")
    labels = _labels(sec, label_defaults, base, sec.file)
    sec.finish()
    return VideoEntry(vid, split, float(v_fps), pose_file, video_file, labels, pose_format)


def _refuse_shared_files(
    sec: Section, video: VideoEntry, seen: dict[Path, tuple[str, str]]
) -> None:
    # One recording under two ids would let a video validate on itself (same split) or
    # leak into the test set (other split). Label files may be shared: an interval table
    # holds every recording, told apart by its id column.
    for key, f in (("pose", video.pose), ("video", video.video)):
        if f is None:
            continue
        resolved = f.resolve()
        if resolved in seen:
            other, split = seen[resolved]
            why = (
                "a recording cannot be both train and test"
                if split != video.split
                else "the same recording under two ids would be validated on itself"
            )
            raise sec.fail(
                key,
                f"{f.name} is already the {key} file of video '{other}' ({split}), now of "
                f"'{video.id}' ({video.split}): {why}. Fix: list each recording once.",
            )
        seen[resolved] = (video.id, video.split)


def _file(sec: Section, key: str, base: Path) -> Path | None:
    value = sec.raw(key, None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise sec.fail(key, f"expected a file path, got {value!r}.")
    file = (base / value).expanduser()
    if not file.is_file():
        raise sec.fail(key, f"file not found: {file}. Fix: check the path (relative to {base}).")
    return file


_LABEL_KEYS = (
    "format", "file", "names", "stream", "recording", "id_column", "rater_column",
    "type_column", "start_column", "stop_column", "raters", "min_votes", "sep",
    "observation", "subject", "absent", "window_type", "observed",
)  # fmt: skip


def _labels(
    sec: Section, defaults: Mapping[str, Any], base: Path, manifest: Path
) -> LabelSource | None:
    value = sec.raw("labels", None)
    if value is None and not defaults.get("file"):
        return None
    spec: dict[str, Any] = dict(defaults)
    if isinstance(value, str):
        spec["file"] = value
    elif isinstance(value, dict):
        spec.update(value)
    elif value is not None:
        raise sec.fail("labels", f"expected a file path or a mapping, got {value!r}.")
    lab = Section(spec, manifest, sec.key("labels"))
    fmt = lab.text("format", "frame_csv", choices=LABEL_FORMATS)
    file = _file(lab, "file", base)
    if file is None:
        raise lab.fail("file", "no labels file given.")
    names = lab.mapping("names")
    raters = lab.names("raters", ())
    min_votes = lab.integer("min_votes", None, minimum=1)
    if min_votes is not None and raters and min_votes > len(raters):
        raise lab.fail("min_votes", f"{min_votes} votes asked but only {len(raters)} raters.")
    source = LabelSource(
        path=file,
        format=fmt,
        names={str(k): str(v) for k, v in names.items()},
        stream=lab.text("stream", "S1"),
        recording=str(lab.raw("recording", sec.data.get("id"))),
        id_column=lab.text("id_column", "ID"),
        rater_column=lab.text("rater_column", "Experimenter" if fmt == "intervals" else None),
        type_column=lab.text("type_column", "type"),
        start_column=lab.text("start_column", "from"),
        stop_column=lab.text("stop_column", "to"),
        raters=raters,
        min_votes=min_votes,
        sep=lab.text("sep", None),
        observation=str(lab.raw("observation", sec.data.get("id"))),
        subject=lab.text("subject", None),
        absent=lab.names("absent", ()),
        window_type=lab.text("window_type", None),
        observed=lab.text("observed", OBSERVED_CODE),
    )
    lab.finish()
    if fmt == "dlc_columns" and source.path.suffix.lower() != ".csv":
        raise ConfigError(f"{manifest}: {sec.key('labels')}: dlc_columns needs a .csv file.")
    return replace(source)
