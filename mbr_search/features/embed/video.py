"""Video decoding with OpenCV: probe a file, count its frames reliably, stream chosen frames."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mbr_search.errors import DataError

# FFmpeg prints its own complaints ("moov atom not found") straight to stderr; the user gets
# one clear DataError line instead. Read by OpenCV when it first opens a capture.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2

_REENCODE = "Fix: re-encode it (e.g. ffmpeg -i in.avi -c:v libx264 out.mp4) or replace the file."


@dataclass(frozen=True)
class VideoInfo:
    """What the embedder needs to know about a video before decoding it."""

    path: Path
    n_frames: int
    #: frame rate stored in the container; None when the container does not say
    fps: float | None
    width: int
    height: int


def probe_video(path: Path) -> VideoInfo:
    """Open ``path``, check that it decodes and count its frames.

    The container's frame count is trusted only when seeking to its last frame works and
    nothing follows it; otherwise (missing, wrong or damaged index) every frame is counted.
    """
    if not path.is_file():
        raise DataError(f"{path}: video file not found. Fix: check the path.")
    capture = _open(path)
    try:
        ok, first = capture.read()
        if not ok or first is None:
            raise DataError(f"{path}: the video has zero decodable frames. {_REENCODE}")
        height, width = first.shape[:2]
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        claimed = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        n_frames = claimed if claimed > 0 and _last_frame_is(capture, claimed) else 0
    finally:
        capture.release()
    if n_frames == 0:
        n_frames = count_frames(path)
    return VideoInfo(path, n_frames, fps if fps > 0 else None, int(width), int(height))


def count_frames(path: Path) -> int:
    """Count decodable frames by reading the whole stream (slow, but always right)."""
    capture = _open(path)
    n = 0
    try:
        while capture.grab():
            n += 1
    finally:
        capture.release()
    if n == 0:
        raise DataError(f"{path}: the video has zero decodable frames. {_REENCODE}")
    return n


def read_frames(path: Path, indices: np.ndarray) -> Iterator[np.ndarray]:
    """Yield the BGR frames at ``indices`` (non-decreasing; repeats yield the same frame).

    Frames in between are grabbed without conversion, which is what makes 30 -> 10 fps
    cheaper than decoding everything.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) and np.any(np.diff(indices) < 0):
        raise ValueError("frame indices must be non-decreasing")
    capture = _open(path)
    try:
        position = -1  # index of the frame last grabbed
        frame: np.ndarray | None = None
        for target in indices:
            while position < target:
                if not capture.grab():
                    raise DataError(
                        f"{path}: decoding stopped at frame {position + 1} although the video "
                        f"has at least {int(indices[-1]) + 1} frames (corrupt data). {_REENCODE}"
                    )
                position += 1
                frame = None
            if frame is None:
                ok, decoded = capture.retrieve()
                if not ok or decoded is None:
                    raise DataError(f"{path}: frame {position} cannot be decoded. {_REENCODE}")
                frame = decoded
            yield frame
    finally:
        capture.release()


def _open(path: Path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise DataError(
            f"{path}: cannot open the video (unreadable, corrupt or an unsupported codec). "
            f"{_REENCODE}"
        )
    return capture


def _last_frame_is(capture: cv2.VideoCapture, claimed: int) -> bool:
    """True when frame ``claimed - 1`` decodes and no frame follows it."""
    try:
        if not capture.set(cv2.CAP_PROP_POS_FRAMES, claimed - 1):
            return False
        return bool(capture.grab()) and not capture.grab()
    except cv2.error:
        return False
