"""Write a complete synthetic dataset: videos, DeepLabCut CSVs, frame labels, manifest.

Everything written is marked synthetic (file names, CSV scorer, manifest description) so it
can never be mistaken for recordings of real animals.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from mbr_search.demo.render import KEYPOINTS, background, body_points, draw, observe
from mbr_search.demo.script import BEHAVIOURS, Geometry, make_script
from mbr_search.errors import UsageError

# Silence FFmpeg's own stderr chatter, as the embedder does (read at first capture/writer).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

MANIFEST = "dataset.yaml"
SCORER = "DLC_synthetic_openfield_mbr_search"
#: MPEG-4 Part 2 is in every OpenCV wheel; H.264 ('avc1') is not (checked on 4.x/5.x).
_FOURCC = "mp4v"


@dataclass(frozen=True)
class DemoVideo:
    """One written synthetic recording."""

    id: str
    split: str
    video: Path
    pose: Path
    labels: Path
    positives: tuple[int, ...]  # positive frames per behaviour


def make_demo_dataset(
    out: Path,
    *,
    videos: int = 17,
    frames: int = 6600,
    fps: float = 10.0,
    seed: int = 0,
    size: int = 256,
    overwrite: bool = False,
) -> Path:
    """Render ``videos`` synthetic open-field recordings into ``out``; returns the manifest."""
    if videos < 1 or frames < 10 or fps <= 0 or size < 64:
        raise UsageError(
            f"demo-data needs --videos >= 1, --frames >= 10, --fps > 0 and --size >= 64 "
            f"(got {videos}, {frames}, {fps}, {size})."
        )
    manifest = out / MANIFEST
    if manifest.exists() and not overwrite:
        raise UsageError(
            f"{manifest} already exists. Fix: choose an empty folder or pass --overwrite."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".mbr-search-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{out}: cannot write here ({exc.strerror}). Fix: choose a folder you "
                         "can write to.") from exc  # fmt: skip
    n_test = min(videos - 1, round(videos * 5 / 17))  # the thesis' 12/5 split, scaled
    test = set(np.random.default_rng([seed, 17]).permutation(videos)[:n_test].tolist())
    written = []
    for i in range(videos):
        split = "test" if i in test else "train"
        written.append(_write_video(out, i, split, frames, fps, size, seed))
    _write_manifest(manifest, written, frames=frames, fps=fps, seed=seed, size=size)
    _write_readme(out, videos, frames, fps, seed, size)
    return manifest


def _write_video(
    out: Path, i: int, split: str, frames: int, fps: float, size: int, seed: int
) -> DemoVideo:
    import cv2

    rng = np.random.default_rng([seed, i])
    geometry = Geometry(size)
    script = make_script(frames, fps, geometry, rng)
    vid = f"synthetic_{i + 1:02d}"
    video_path = out / f"{vid}.mp4"
    pose_path = out / f"{vid}DLC_synthetic.csv"
    labels_path = out / f"{vid}_labels_synthetic.csv"
    writer = cv2.VideoWriter(
        str(video_path), cv2.VideoWriter.fourcc(*_FOURCC), float(fps), (size, size), True
    )
    if not writer.isOpened():
        raise UsageError(
            f"{video_path}: OpenCV cannot write '{_FOURCC}' mp4 video here. Fix: install "
            "opencv-python-headless from PyPI (its FFmpeg has the MPEG-4 encoder)."
        )
    empty = background(geometry)
    pose = np.zeros((frames, len(KEYPOINTS), 3), dtype=np.float64)
    try:
        for t in range(frames):
            canvas = empty.copy()
            points = body_points(script, geometry, t)
            draw(canvas, points, geometry)
            writer.write(canvas)
            pose[t] = observe(points, rng)
    finally:
        writer.release()
    _write_pose_csv(pose_path, pose)
    labels = script.labels()
    _write_labels(labels_path, labels)
    positives = tuple(int(v) for v in labels.sum(axis=0))
    return DemoVideo(vid, split, video_path, pose_path, labels_path, positives)


def _write_pose_csv(path: Path, pose: np.ndarray) -> None:
    """DeepLabCut single-animal CSV: scorer / bodyparts / coords header rows, then frames."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        columns = [(kp, c) for kp in KEYPOINTS for c in ("x", "y", "likelihood")]
        out.writerow(["scorer", *[SCORER] * len(columns)])
        out.writerow(["bodyparts", *[kp for kp, _ in columns]])
        out.writerow(["coords", *[c for _, c in columns]])
        flat = pose.reshape(len(pose), -1)
        for t, row in enumerate(flat):
            out.writerow([t, *(f"{v:.3f}" for v in row)])


def _write_labels(path: Path, labels: np.ndarray) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["frame", *BEHAVIOURS])
        for t, row in enumerate(labels):
            out.writerow([t, *row.tolist()])


def _write_manifest(
    path: Path, videos: list[DemoVideo], *, frames: int, fps: float, seed: int, size: int
) -> None:
    command = (
        f"mbr-search demo-data {path.parent} --videos {len(videos)} --frames {frames} "
        f"--fps {fps:g} --seed {seed} --size {size}"
    )
    data = {
        "name": "synthetic_openfield",
        "description": (
            "SYNTHETIC open-field videos rendered by mbr-search demo-data: a drawn mouse in a "
            "drawn arena with scripted grooming, mid rearing and wall rearing bouts. Not real "
            "animals; for tests, demos and benchmarks only."
        ),
        "licence": "synthetic data generated by mbr-search (MIT); no third-party content",
        "source": command,
        "fps": float(fps),
        "length_tolerance": 0,
        "behaviours": list(BEHAVIOURS),
        "pose": {
            "keypoints": list(KEYPOINTS),
            "likelihood_threshold": 0.5,
            "axis": ["tailbase", "neck"],
        },
        "labels": {"format": "frame_csv"},
        "videos": [
            {
                "id": v.id,
                "split": v.split,
                "video": v.video.name,
                "pose": v.pose.name,
                "labels": v.labels.name,
            }
            for v in videos
        ],
    }
    header = (
        "# SYNTHETIC dataset written by mbr-search demo-data (not real mice).\n"
        f"# Re-create with: {command}\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)


def _write_readme(out: Path, videos: int, frames: int, fps: float, seed: int, size: int) -> None:
    (out / "README_SYNTHETIC.txt").write_text(
        "SYNTHETIC DATA - not recordings of real animals.\n\n"
        f"{videos} top-view open-field videos of {frames} frames at {fps:g} fps, {size}x{size} "
        f"px, seed {seed}, rendered by `mbr-search demo-data`. Each video has a DeepLabCut-"
        "format pose CSV (*DLC_synthetic.csv) and per-frame 0/1 labels for grooming, "
        "mid_rearing and wall_rearing (*_labels_synthetic.csv); dataset.yaml lists them with "
        "a 12/5-style train/test split.\n",
        encoding="utf-8",
    )
