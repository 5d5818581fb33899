"""``predict_files``: label new recordings with a model directory written by ``evaluate``.

Per input it writes ``<name>_frames.csv`` (per-frame probabilities and 0/1 labels),
``<name>_bouts.csv`` (one row per bout), ``<name>_boris.xlsx`` (the bouts as BORIS
events, importable into an observation) and ``<name>_ethogram.html`` / ``.png`` (the bouts
along the video, ``predict/ethogram.py``); for all inputs together ``summary.csv`` (per
input and behaviour: total time, percentage, bouts, mean/median bout, latency to the first
bout).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search._atomic import output_error
from mbr_search.errors import OutputError, UsageError

if TYPE_CHECKING:
    import numpy as np

    from mbr_search.inference.model_dir import ModelDir
    from mbr_search.inference.summary import BehaviourSummary
    from mbr_search.predict.inputs import Prepared

__all__ = ["PredictionFiles", "check_out_dir", "make_out_dir", "predict_files"]


@dataclass(frozen=True)
class PredictionFiles:
    """What was written for one input."""

    source: Path
    frames_csv: Path
    bouts_csv: Path
    boris_xlsx: Path
    n_frames: int
    n_bouts: int
    seconds: float
    ethogram_html: Path | None = None
    ethogram_png: Path | None = None


def predict_files(
    model_path: Path,
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    source_fps: float | None = None,
    poses: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
    echo: Callable[[str], None] | None = None,
    tta: bool | None = None,
) -> list[PredictionFiles]:
    """Predict every input with the model directory at ``model_path``; write into ``out_dir``.

    ``source_fps`` is the inputs' own frame rate (default: the training videos'); ``poses``
    pairs a DeepLabCut file with each video input for CNN models that crop on the pose;
    ``tta`` averages each member's probabilities over fixed transforms of the keypoints
    (``inference/tta.py``; None: on for pose models; True for a CNN model: a UsageError).
    """
    from mbr_search import paths
    from mbr_search.inference import model_dir
    from mbr_search.inference.summary import write_summary_csv
    from mbr_search.inference.tta import resolve
    from mbr_search.predict.boris import OUT_FIX
    from mbr_search.predict.inputs import prepare, validate

    say = echo or (lambda _msg: None)
    _check_arguments(inputs, source_fps)
    model = model_dir.load(model_path)
    tta = resolve(tta, model.backbone, f"the model in {model.path}")
    paths_in = [Path(p).expanduser() for p in inputs]
    pose_list = [Path(p).expanduser() for p in poses] if poses else None
    validate(model, paths_in, pose_list)
    cache_root = cache_dir or paths.cache_dir()
    make_out_dir(out_dir)
    fps = float(model.fps or model.source_fps or source_fps or 0) or None
    nets = None
    written: list[PredictionFiles] = []
    summaries: list[BehaviourSummary] = []
    for i, path in enumerate(paths_in):
        prepared = prepare(
            model, path, source_fps=source_fps,
            pose=pose_list[i] if pose_list else None, cache_root=cache_root,
        )  # fmt: skip
        rate = fps or source_fps
        if not rate:
            raise UsageError(f"{path}: unknown frame rate. Fix: pass --fps.")
        if nets is None:
            nets = model_dir.load_nets(model)
        probs, raw, post, seconds = _label(model, nets, prepared, tta=tta, source_fps=source_fps)
        files, summary = _write_outputs(
            out_dir / prepared.name, model.behaviours, rate, probs, raw, post,
            prepared.source_frames,
        )  # fmt: skip
        written.append(replace(files, source=path, seconds=seconds))
        summaries += summary
        say(f"{path.name}: {len(probs)} frames, {files.n_bouts} bouts -> {files.frames_csv.name}")
    say(f"summary -> {write_summary_csv(out_dir / 'summary.csv', summaries, fix=OUT_FIX)}")
    return written


def _label(
    model: ModelDir,
    nets: Sequence[Sequence[object]],
    prepared: Prepared,
    *,
    tta: bool = False,
    source_fps: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Probabilities, 0/1 labels (threshold) and post-processed labels, and the seconds
    taken (with ``tta``: each member's mean over the transformed keypoints)."""
    from mbr_search.inference.probabilities import predict_videos
    from mbr_search.inference.tta import tta_predict_videos, uses_views
    from mbr_search.predict.inputs import tta_input
    from mbr_search.scoring import postprocess, thresholds

    started = time.perf_counter()
    n = len(model.behaviours)
    if not (tta and uses_views(model.members)):
        by_id = predict_videos(model.members, nets, model.standardiser, [prepared.video], n)
    else:
        video = tta_input(model, prepared, source_fps)
        by_id = tta_predict_videos(model.members, nets, model.standardiser, [video], n)
    probs = by_id[prepared.name]
    raw = thresholds.binarise(probs, model.threshold_list)
    post = postprocess.apply_all(raw, model.postprocess_list)
    return probs, raw, post, time.perf_counter() - started


def _check_arguments(inputs: Sequence[Path], source_fps: float | None) -> None:
    if not inputs:
        raise UsageError("no INPUT given. Fix: name at least one pose file or video.")
    if source_fps is not None and source_fps <= 0:
        raise UsageError(f"--fps {source_fps}: must be a positive frame rate.")


def _write_outputs(
    stem: Path,
    behaviours: Sequence[str],
    rate: float,
    probs: np.ndarray,
    raw: np.ndarray,
    post: np.ndarray,
    source_frames: np.ndarray | None,
) -> tuple[PredictionFiles, list[BehaviourSummary]]:
    """``<stem>_frames.csv``, ``_bouts.csv``, ``_boris.xlsx`` and ``_ethogram.html`` /
    ``.png``, each written atomically; returns what was written (``source`` and ``seconds``
    left for the caller) and the input's rows of ``summary.csv``."""
    from mbr_search.inference.frames_csv import write_frames_csv
    from mbr_search.inference.summary import summarise
    from mbr_search.predict.boris import (
        OUT_FIX,
        boris_events,
        bout_rows,
        write_boris_xlsx,
        write_bouts_csv,
    )
    from mbr_search.predict.ethogram import write_ethogram

    frames_csv = stem.with_name(f"{stem.name}_frames.csv")
    # Written atomically: a full disk must not leave a CSV that looks complete.
    write_frames_csv(frames_csv, behaviours, rate, probs, raw, post, source_frames=source_frames)
    rows = bout_rows(post, behaviours, rate)
    bouts_csv = write_bouts_csv(stem.with_name(f"{stem.name}_bouts.csv"), rows)
    boris = write_boris_xlsx(stem.with_name(f"{stem.name}_boris.xlsx"), boris_events(rows))
    summary = summarise(stem.name, post, behaviours, rate)
    html, png = write_ethogram(stem, behaviours, rate, post, fix=OUT_FIX)
    files = PredictionFiles(
        stem, frames_csv, bouts_csv, boris, len(probs), len(rows), 0.0, html, png
    )
    return files, summary


def check_out_dir(out_dir: Path) -> None:
    """Refuse an ``--out`` that names an existing file (before any work is done)."""
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(
            f"--out {out_dir}: is an existing file, not a folder. Fix: give a folder for the "
            "prediction files (it is created if missing), e.g. --out predictions/."
        )
    blocker = next((p for p in out_dir.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise OutputError(
            f"--out {out_dir}: '{blocker}' is a file, so the folder cannot be created. "
            "Fix: choose another --out folder."
        )


def make_out_dir(out_dir: Path) -> None:
    """Create ``--out`` (and its parents) or fail with one line."""
    check_out_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out_dir, exc, "choose another --out folder") from None
