"""Partly labelled copies of the bundled rat data (issue 23), shared by the label-mask tests:
the Caltech labels as one interval table in seconds, with a trial window per video
(``labels.window_type: Start/End``) so that only the window is labelled."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from conftest import RAT_MINI

from mbr_search.config.dataset import load_dataset
from mbr_search.data.labels import read_labels

BEHAVIOURS = ("social", "nonsocial", "aggression")
#: the rat videos' frame rate (each has 4,500 frames)
FPS = 30
#: the trial window of every video, in source frames: the middle 60 %
WINDOW = (900, 3600)


def truth(video_id: str) -> np.ndarray:
    """(4500, 3) 0/1 Caltech labels of a bundled rat video."""
    (video,) = [v for v in load_dataset(RAT_MINI).videos if v.id == video_id]
    assert video.labels is not None
    return read_labels(video.labels, BEHAVIOURS, n_frames=0, fps=FPS).values.copy()


def runs(column: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` frames of the runs of 1s."""
    padded = np.r_[0, (column > 0).astype(np.int8), 0]
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def interval_table(path: Path, videos: Sequence[str], variant: str) -> Path:
    """The labels of ``videos`` as one interval table, each video's window as two
    Start/End rows; outside the window ``variant``: ``truth`` (the real labels there),
    ``flipped`` (every behaviour marked) or ``negative`` (none marked)."""
    rows = ["ID,Experimenter,from,to,type"]
    for video in videos:
        labels = truth(video)
        outside = np.ones(len(labels), dtype=bool)
        outside[WINDOW[0] : WINDOW[1]] = False
        if variant != "truth":
            labels[outside] = 1 if variant == "flipped" else 0
        for c, name in enumerate(BEHAVIOURS):
            for a, b in runs(labels[:, c]):  # 0.4 frame inside each end: no rounding doubt
                rows.append(f"{video},r,{max(0.0, (a - 0.4) / FPS)},{(b - 0.6) / FPS},{name}")
        for frame in (WINDOW[0], WINDOW[1] - 1):
            rows.append(f"{video},r,{frame / FPS},{(frame + 0.4) / FPS},Start/End")
    path.write_text("\n".join(rows) + "\n")
    return path


def partial_manifest(
    folder: Path, variant: str, videos: Sequence[str], *, window: bool = True, extra: str = ""
) -> Path:
    """A copy of the rat manifest with only ``videos`` (their splits kept), labelled by
    :func:`interval_table` (``window``: only the window counts as labelled), plus the
    manifest lines ``extra`` (more video entries)."""
    table = interval_table(folder / f"{variant}.csv", videos, variant)
    text = RAT_MINI.read_text().replace("pose: dlc/", f"pose: {RAT_MINI.parent}/dlc/")
    window_key = "\n  window_type: Start/End" if window else ""
    text = text.replace(
        "  format: caltech\n  stream: S1",
        f"  format: intervals\n  file: {table}\n  sep: ','{window_key}",
    )
    lines = []
    for line in text.splitlines():
        if "{id: rat" in line:
            if not any(f"id: {v}," in line for v in videos):
                continue
            line = line.split(", labels: ")[0] + "}"
        lines.append(line)
    path = folder / f"{variant}.yaml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def pose_file(video_id: str) -> Path:
    (video,) = [v for v in load_dataset(RAT_MINI).videos if v.id == video_id]
    return video.pose
