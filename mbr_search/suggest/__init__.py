"""``suggest_files``: which segments of unlabelled recordings to label next (active learning).

The inputs are taken, checked and turned into features exactly as ``predict`` does
(:mod:`mbr_search.predict.inputs`); every member of the model directory predicts them
(:func:`~mbr_search.inference.probabilities.member_probabilities`, or with test-time
augmentation each member's mean over its views, as ``predict`` averages them: the
uncertainty ranked is that of the probabilities ``predict`` gives), :mod:`.rank` picks the
segments and :mod:`.write` writes them. Videos for the clips: a CNN model's inputs are
videos; a pose file is paired with ``--video`` (in order) or with the video beside it whose
name starts the pose file's (DeepLabCut's ``<video>DLC_...`` naming).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.errors import UsageError
from mbr_search.predict.inputs import VIDEO_SUFFIXES, input_name
from mbr_search.suggest.rank import RankSettings, Segment
from mbr_search.suggest.write import SuggestionSet

if TYPE_CHECKING:
    from mbr_search.inference.model_dir import ModelDir
    from mbr_search.predict.inputs import Prepared

__all__ = ["Lengths", "check_n", "pair_videos", "suggest_files"]

_WITH_TTA = {True: " (with TTA)", False: ""}


@dataclass(frozen=True)
class Lengths:
    """Segment lengths and the gap between segments, in seconds (the CLI's flags)."""

    min_seconds: float = 1.0
    max_seconds: float = 8.0
    gap_seconds: float = 2.0

    def __post_init__(self) -> None:
        # nan and inf pass float(): refused here, before the model is even read
        import math

        for flag, value, zero_ok in (
            ("--min-seconds", self.min_seconds, False), ("--max-seconds", self.max_seconds, False),
            ("--gap-seconds", self.gap_seconds, True),
        ):  # fmt: skip
            too_low = value < 0 if zero_ok else value <= 0
            if not math.isfinite(value) or too_low or value > 86_400:
                bound = "0 or more" if zero_ok else "above 0"
                raise UsageError(
                    f"{flag} {value}: must be a number of seconds, {bound}, at most a day."
                )

    def settings(self, n: int, fps: float) -> RankSettings:
        return RankSettings(
            n=n,
            min_frames=max(1, round(self.min_seconds * fps)),
            max_frames=max(1, round(self.max_seconds * fps)),
            gap_frames=max(0, round(self.gap_seconds * fps)),
        )


def check_n(n: int) -> None:
    """``--n`` below 1 is refused before any work (the message of :class:`RankSettings`)."""
    RankSettings(n=n)


def pair_videos(inputs: Sequence[Path], videos: Sequence[Path] | None) -> list[Path | None]:
    """The video file of each input, or None: the input itself if it is a video, else
    ``videos[i]``, else a video beside a pose file whose name starts the pose file's."""
    if videos and len(videos) != len(inputs):
        raise UsageError(
            f"--video given {len(videos)} time(s) for {len(inputs)} input(s): --video pairs "
            "one video file with each INPUT, in order. Fix: give it once per INPUT, or not at all."
        )
    out: list[Path | None] = []
    for i, path in enumerate(inputs):
        if videos:
            if not videos[i].is_file():
                raise UsageError(f"--video {videos[i]}: file not found. Fix: check the path.")
            out.append(videos[i])
        elif path.name.lower().endswith(VIDEO_SUFFIXES):
            out.append(path)
        else:
            out.append(_video_beside(path))
    return out


def _video_beside(pose: Path) -> Path | None:
    name = pose.name
    found = [
        p
        for p in sorted(pose.parent.glob("*"))
        if p.name.lower().endswith(VIDEO_SUFFIXES) and name.startswith(input_name(p))
    ]
    return max(found, key=lambda p: len(p.name)) if found else None  # the longest match


def suggest_files(
    model_path: Path,
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    n: int = 20,
    lengths: Lengths | None = None,
    source_fps: float | None = None,
    poses: Sequence[Path] | None = None,
    videos: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
    tta: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> SuggestionSet:
    """Rank segments of ``inputs`` for labelling with the model at ``model_path``; write
    ``segments.csv``, BORIS import sheets, clips and ``suggestions.json`` into ``out_dir``.
    ``tta`` as in :func:`mbr_search.predict.predict_files` (None: on for pose models)."""
    from mbr_search import paths
    from mbr_search.inference import model_dir
    from mbr_search.inference.probabilities import member_weights
    from mbr_search.inference.tta import resolve, uses_views
    from mbr_search.predict import make_out_dir
    from mbr_search.predict.inputs import prepare, validate
    from mbr_search.suggest.rank import rank

    say = echo or (lambda _msg: None)
    check_n(n)
    if not inputs:
        raise UsageError("no INPUT given. Fix: name at least one pose file or video.")
    model = model_dir.load(model_path)
    tta = resolve(tta, model.backbone, f"the model in {model.path}") and uses_views(model.members)
    paths_in = [Path(p).expanduser() for p in inputs]
    pose_list = [Path(p).expanduser() for p in poses] if poses else None
    validate(model, paths_in, pose_list)
    clip_videos = pair_videos(paths_in, [Path(v).expanduser() for v in videos or ()])
    fps = float(model.fps or model.source_fps or source_fps or 0)
    if not fps:
        raise UsageError(f"{model.path}: unknown frame rate. Fix: pass --fps.")
    settings = (lengths or Lengths()).settings(n, fps)
    make_out_dir(out_dir)
    nets = model_dir.load_nets(model)
    probs: dict[str, np.ndarray] = {}
    sources: dict[str, tuple[Path, Path | None]] = {}
    for i, path in enumerate(paths_in):
        prepared = prepare(
            model, path, source_fps=source_fps,
            pose=pose_list[i] if pose_list else None, cache_root=cache_dir or paths.cache_dir(),
        )  # fmt: skip
        probs[prepared.name] = _member_probs(model, nets, prepared, tta, source_fps)
        sources[prepared.name] = (path, clip_videos[i])
        say(f"{path.name}: {prepared.video.n_frames} frames predicted{_WITH_TTA[tta]}")
    weights = member_weights(model.members)
    segments = rank(probs, model.behaviours, model.threshold_list, weights, settings)
    rate = source_fps or model.source_fps
    result = _write(out_dir, str(model.path), fps, settings, segments, sources, rate, tta)
    say(f"{len(result.suggestions)} segments -> {out_dir / 'segments.csv'}")
    if result.clips_note:
        say(result.clips_note)
    return result


def _member_probs(
    model: ModelDir,
    nets: Sequence[Sequence[object]],
    prepared: Prepared,
    tta: bool,
    source_fps: float | None,
) -> np.ndarray:
    """(members, frames, behaviours): each member's probabilities, or with ``tta`` each
    member's mean over its views (the members' spread stays visible to the ranking)."""
    from mbr_search.inference.probabilities import member_probabilities
    from mbr_search.inference.tta import tta_member_probabilities
    from mbr_search.predict.inputs import tta_input

    n = len(model.behaviours)
    if tta:
        views = tta_input(model, prepared, source_fps)
        return tta_member_probabilities(model.members, nets, model.standardiser, views, n)
    return member_probabilities(model.members, nets, model.standardiser, prepared.video, n)


def _write(
    out_dir: Path,
    model: str,
    fps: float,
    settings: RankSettings,
    segments: Sequence[Segment],
    sources: dict[str, tuple[Path, Path | None]],
    source_fps: float | None,
    tta: bool,
) -> SuggestionSet:
    """Place each segment in its input, cut its clip when there is a video, write it all."""
    from mbr_search.suggest.write import (
        cut_clip,
        place,
        write_boris_sheets,
        write_json,
        write_segments_csv,
    )

    placed, no_video, unreadable = [], set(), set()
    for k, seg in enumerate(segments, start=1):
        source, video = sources[seg.video]
        s = place(k, seg, source, fps, source_fps)
        if video is None:
            no_video.add(seg.video)
        else:
            target = out_dir / "clips" / f"{k:02d}_{seg.video}_{seg.behaviour}.mp4"
            clip = cut_clip(video, s.start_s, s.stop_s, target)
            if clip is None:
                unreadable.add(str(video))
            s = replace(s, clip=f"clips/{clip}" if clip else None)
        placed.append(s)
    note = _clips_note(no_video, unreadable)
    result = SuggestionSet(model, fps, settings, tuple(placed), note, tta)
    write_segments_csv(out_dir / "segments.csv", placed)
    write_boris_sheets(out_dir, placed)
    write_json(out_dir / "suggestions.json", result)
    return result


def _clips_note(no_video: set[str], unreadable: set[str]) -> str | None:
    notes = []
    if no_video:
        notes.append(
            f"no clips for {sorted(no_video)}: no video file (pose only). Fix: pass --video "
            "VIDEO once per INPUT, or keep each video beside its pose file."
        )
    if unreadable:
        notes.append(f"no clips from {sorted(unreadable)}: OpenCV could not read or encode it.")
    return " ".join(notes) or None
