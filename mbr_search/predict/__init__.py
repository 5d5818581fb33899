"""``predict_files``: label new recordings with a model directory written by ``evaluate``.

Per input it writes ``<name>_frames.csv`` (per-frame probabilities and 0/1 labels),
``<name>_bouts.csv`` (one row per bout) and ``<name>_boris.xlsx`` (the bouts as BORIS
events, importable into an observation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mbr_search.errors import UsageError


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


def predict_files(
    model_path: Path,
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    source_fps: float | None = None,
    poses: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
    echo: Callable[[str], None] | None = None,
) -> list[PredictionFiles]:
    """Predict every input with the model directory at ``model_path``; write into ``out_dir``.

    ``source_fps`` is the inputs' own frame rate (default: the training videos'); ``poses``
    pairs a DeepLabCut file with each video input for CNN models that crop on the pose.
    """
    from mbr_search import paths
    from mbr_search.evaluate import model_dir, postprocess, thresholds
    from mbr_search.evaluate.inference import predict_videos
    from mbr_search.evaluate.outputs import write_frames_csv
    from mbr_search.predict.boris import (
        boris_events,
        bout_rows,
        write_boris_xlsx,
        write_bouts_csv,
    )
    from mbr_search.predict.inputs import prepare, validate

    say = echo or (lambda _msg: None)
    if not inputs:
        raise UsageError("no INPUT given. Fix: name at least one pose file or video.")
    if source_fps is not None and source_fps <= 0:
        raise UsageError(f"--fps {source_fps}: must be a positive frame rate.")
    model = model_dir.load(model_path)
    paths_in = [Path(p).expanduser() for p in inputs]
    pose_list = [Path(p).expanduser() for p in poses] if poses else None
    validate(model, paths_in, pose_list)
    cache_root = cache_dir or paths.cache_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    fps = float(model.fps or model.source_fps or source_fps or 0) or None
    nets = None
    written: list[PredictionFiles] = []
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
        started = time.perf_counter()
        probs = predict_videos(
            model.members, nets, model.standardiser, [prepared.video], len(model.behaviours)
        )[prepared.name]
        raw = thresholds.binarise(probs, model.threshold_list)
        post = postprocess.apply_all(raw, model.postprocess_list)
        seconds = time.perf_counter() - started
        frames_csv = write_frames_csv(
            out_dir / f"{prepared.name}_frames.csv", model.behaviours, rate, probs, raw, post,
            source_frames=prepared.source_frames,
        )  # fmt: skip
        rows = bout_rows(post, model.behaviours, rate)
        bouts_csv = write_bouts_csv(out_dir / f"{prepared.name}_bouts.csv", rows)
        boris = write_boris_xlsx(out_dir / f"{prepared.name}_boris.xlsx", boris_events(rows))
        written.append(
            PredictionFiles(path, frames_csv, bouts_csv, boris, len(probs), len(rows), seconds)
        )
        say(f"{path.name}: {len(probs)} frames, {len(rows)} bouts -> {frames_csv.name}")
    return written
