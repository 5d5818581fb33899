"""What ``suggest`` writes into ``--out``, every file atomically.

- ``segments.csv``: one row per suggested segment, best first: rank, video, input file,
  behaviour, start/stop frame of the input video (stop exclusive, as in ``predict``'s
  bouts), start/stop seconds, score, its two terms, the mean probability and threshold,
  the kind of candidate, the reason in words and the clip file.
- ``<video>_to_label_boris.xlsx``: per input, the segments as BORIS state events in the
  import-sheet layout ``predict`` writes (``time, subject, code, modifier, comment``; BORIS
  Observations > Import observations, spreadsheet): a START and a STOP per segment, the
  code being the behaviour the model is unsure about and the comment ``suggestion #k:
  reason``. The code marks what to check, not a label: correct or delete each event. Each
  segment is also one ``observed`` state (the same START and STOP): read back as labels
  (``labels.format: boris``), only those frames count as labelled, every other frame of
  the video stays unlabelled (``data/boris_frames.py``).
- ``clips/<rank>_<video>_<behaviour>.mp4``: the segment cut from the video with OpenCV
  (``mp4v``), when the input has a video file.
- ``suggestions.json``: everything above as data (:class:`SuggestionSet`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbr_search._atomic import atomic_path, write_text_atomic
from mbr_search.data.labels import OBSERVED_CODE
from mbr_search.jsondoc import JSONObject
from mbr_search.predict.boris import start_stop_events, write_boris_xlsx
from mbr_search.suggest.rank import RankSettings, Segment

FIX = "free disk space or choose another --out folder"
CSV_COLUMNS = (
    "rank", "video", "input", "behaviour", "start_frame", "stop_frame", "start_s", "stop_s",
    "score", "near_threshold", "disagreement", "mean_probability", "threshold", "kind",
    "reason", "clip",
)  # fmt: skip
FORMAT = "mbr-search-suggestions"


@dataclass(frozen=True)
class Suggestion:
    """A chosen segment placed in its input: frames of the input video and seconds."""

    rank: int
    segment: Segment
    input: str
    start_frame: int
    stop_frame: int
    start_s: float
    stop_s: float
    clip: str | None = None

    def to_json(self) -> JSONObject:
        return {
            "rank": self.rank, "segment": self.segment.to_json(), "input": self.input,
            "start_frame": self.start_frame, "stop_frame": self.stop_frame,
            "start_s": self.start_s, "stop_s": self.stop_s, "clip": self.clip,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Suggestion:
        return cls(
            int(data["rank"]), Segment.from_json(data["segment"]), str(data["input"]),
            int(data["start_frame"]), int(data["stop_frame"]), float(data["start_s"]),
            float(data["stop_s"]), data.get("clip"),
        )  # fmt: skip


@dataclass(frozen=True)
class SuggestionSet:
    """One ``suggest`` run: the model, the model frame rate, the settings, the segments."""

    model: str
    fps: float
    settings: RankSettings
    suggestions: tuple[Suggestion, ...]
    #: why some or all segments have no clip (None: every one has)
    clips_note: str | None = None
    #: whether the members' probabilities were test-time augmented (``inference/tta.py``)
    tta: bool = False

    def to_json(self) -> JSONObject:
        return {
            "format": FORMAT, "format_version": 1, "model": self.model, "fps": self.fps,
            "settings": self.settings.to_json(),
            "suggestions": [s.to_json() for s in self.suggestions], "clips_note": self.clips_note,
            "tta": self.tta,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SuggestionSet:
        return cls(
            str(data["model"]), float(data["fps"]), RankSettings.from_json(data["settings"]),
            tuple(Suggestion.from_json(s) for s in data["suggestions"]), data.get("clips_note"),
            bool(data.get("tta", False)),  # files written before TTA: plain probabilities
        )  # fmt: skip


def place(
    rank: int, seg: Segment, source: Path, fps: float, source_fps: float | None
) -> Suggestion:
    """``seg`` (model frames at ``fps``) in seconds and in frames of the input video."""
    start_s, stop_s = seg.start / fps, seg.stop / fps
    rate = source_fps or fps  # the input's own frames when its rate is known
    return Suggestion(
        rank, seg, str(source), round(start_s * rate), round(stop_s * rate), start_s, stop_s
    )


def _csv_cell(value: object) -> str:
    text = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_segments_csv(path: Path, suggestions: Sequence[Suggestion]) -> Path:
    lines = [",".join(CSV_COLUMNS)]
    for s in suggestions:
        g = s.segment
        cells = (
            s.rank, g.video, s.input, g.behaviour, s.start_frame, s.stop_frame, s.start_s,
            s.stop_s, g.score, g.near, g.disagreement, g.mean_probability, g.threshold, g.kind,
            g.reason, s.clip,
        )  # fmt: skip
        lines.append(",".join(_csv_cell(c) for c in cells))
    write_text_atomic(path, "\n".join(lines) + "\n", fix=FIX)
    return path


def write_boris_sheets(out_dir: Path, suggestions: Sequence[Suggestion]) -> list[Path]:
    """One import sheet per video with suggestions (see the module docstring)."""
    written = []
    for video in sorted({s.segment.video for s in suggestions}):
        mine = [s for s in suggestions if s.segment.video == video]
        bouts = [
            (s.segment.behaviour, s.start_s, s.stop_s, f"suggestion #{s.rank}: {s.segment.reason}")
            for s in mine
        ]
        spans = [
            (
                OBSERVED_CODE,
                s.start_s,
                s.stop_s,
                f"suggestion #{s.rank}: label every behaviour here",
            )
            for s in mine
        ]
        events = start_stop_events(bouts + spans)
        written.append(write_boris_xlsx(out_dir / f"{video}_to_label_boris.xlsx", events))
    return written


def write_json(path: Path, result: SuggestionSet) -> Path:
    write_text_atomic(path, json.dumps(result.to_json(), indent=1) + "\n", fix=FIX)
    return path


def cut_clip(video: Path, start_s: float, stop_s: float, target: Path) -> str | None:
    """Frames ``[start_s, stop_s)`` of ``video`` into ``target`` (MP4, ``mp4v``, the
    video's own frame rate and size); None when OpenCV cannot read or write it."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        if not cap.isOpened() or fps <= 0:
            return None
        first, stop = round(start_s * fps), max(round(stop_s * fps), round(start_s * fps) + 1)
        cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        frames = []
        for _ in range(stop - first):
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    if not frames:
        return None
    height, width = frames[0].shape[:2]
    try:
        # The temp name ends in the real one, so OpenCV still picks the MP4 container.
        with atomic_path(target, fix=FIX) as tmp:
            size = (width, height)
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
            if not writer.isOpened():
                raise _NoEncoder  # leaves no empty file behind
            for frame in frames:
                writer.write(frame)
            writer.release()
    except _NoEncoder:
        return None
    return target.name


class _NoEncoder(Exception):
    """OpenCV has no MPEG-4 encoder here."""
