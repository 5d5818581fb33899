"""The lab's tools end to end: a copy of the bundled rat data with SLEAP pose (written by
sleap-io from the real DeepLabCut pose) and BORIS labels (a v8 events export written from
the real Caltech annotations) through run -> evaluate -> predict -> suggest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _pose_copies import START, rat_window, write_slp
from conftest import run_cli, write_tiny_study
from test_boris import BEHAVIOURS, FPS, V8_HEADER, _events, _truth, _v8_rows, _write_csv

from mbr_search.config.dataset import load_dataset
from mbr_search.data.labels import read_labels

FRAMES = 600
VIDEOS = {1: "train", 2: "train", 5: "train", 8: "test"}


def _write_copy(root: Path) -> Path:
    """SLEAP files + one BORIS export for the same 600-frame windows of 4 real videos."""
    rows, entries = [V8_HEADER], []
    for number, split in VIDEOS.items():
        vid = f"rat{number:02d}"
        write_slp(rat_window(number, FRAMES), root / f"{vid}.slp")
        window = _truth(vid)[START : START + FRAMES]
        rows += _v8_rows(vid, _events(window))[1:]
        entries.append(f"  - {{id: {vid}, split: {split}, pose: {vid}.slp}}")
    _write_csv(root / "boris_events.csv", rows)
    manifest = root / "dataset.yaml"
    manifest.write_text(
        "name: rat_sleap_boris\nfps: 30\npose_format: sleap\n"
        "behaviours: [social, nonsocial, aggression]\n"
        "pose: {likelihood_threshold: 0.3, axis: [tail, top]}\n"
        "labels: {format: boris, file: boris_events.csv}\n"
        "videos:\n" + "\n".join(entries) + "\n"
    )
    return manifest


@pytest.mark.slow
def test_sleap_pose_and_boris_labels_run_evaluate_predict_suggest(tmp_path: Path) -> None:
    manifest = _write_copy(tmp_path)
    for video in load_dataset(manifest).videos:  # the BORIS copy holds the real labels
        assert video.labels is not None
        got = read_labels(video.labels, BEHAVIOURS, n_frames=FRAMES, fps=FPS).values
        assert np.array_equal(got, _truth(video.id)[START : START + FRAMES]), video.id
    study = write_tiny_study(tmp_path / "study", name="lab_tools", dataset=manifest)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    ran = run_cli("run", str(study), "--trials", "2", "--storage", storage, "--no-progress")
    assert ran.returncode == 0, ran.stderr
    out = tmp_path / "out"
    ev = run_cli("evaluate", str(study), "--top", "1", "--no-importance", "--storage", storage,
                 "--out", str(out))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    assert (out / "summary.csv").is_file()  # per test video, true beside predicted
    model, test_video = str(out / "model"), str(tmp_path / "rat08.slp")
    pred = run_cli("predict", model, test_video, "--out", str(tmp_path / "pred"))
    assert pred.returncode == 0, pred.stderr
    frames = pd.read_csv(tmp_path / "pred" / "rat08_frames.csv")
    assert len(frames) == FRAMES // 3  # 10 fps
    assert (tmp_path / "pred" / "rat08_boris.xlsx").is_file()
    sug = run_cli("suggest", model, test_video, "--n", "3", "--out", str(tmp_path / "sug"))
    assert sug.returncode == 0, sug.stderr
    segments = pd.read_csv(tmp_path / "sug" / "segments.csv")
    assert 1 <= len(segments) <= 3 and set(segments["video"]) == {"rat08"}
    assert (tmp_path / "sug" / "rat08_to_label_boris.xlsx").is_file()
