"""A SLEAP copy of the bundled rat data through run -> evaluate -> predict.

The copy is written by sleap-io from the real DeepLabCut pose (4 videos, 600 frames each);
its twin is the same frames as a DeepLabCut CSV written by movement. The point: the SLEAP
pose must give the same pose features, hence the same predictions, as the DeepLabCut one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _pose_copies import movement_dataset, rat_window, write_frame_labels, write_slp
from _shared import run_then_evaluate
from conftest import run_cli, write_tiny_study

from mbr_search.config.dataset import load_dataset
from mbr_search.features.store import pose_entry

FRAMES = 600
VIDEOS = {1: "train", 2: "train", 5: "train", 8: "test"}


def _write_copies(root: Path) -> dict[str, Path]:
    """One manifest per format over the same frames and the same (real) labels."""
    from movement.io import save_poses

    lines = {"sleap": [], "dlc": []}  # type: dict[str, list[str]]
    for number, split in VIDEOS.items():
        pose = rat_window(number, FRAMES)
        labels = write_frame_labels(number, FRAMES, root / f"rat{number:02d}_labels.csv")
        slp = write_slp(pose, root / f"rat{number:02d}.slp")
        dlc = root / f"rat{number:02d}_dlc.csv"
        save_poses.to_dlc_file(movement_dataset(pose), dlc, split_individuals=False)
        for kind, file in (("sleap", slp), ("dlc", dlc)):
            lines[kind].append(
                f"  - {{id: rat{number:02d}, split: {split}, pose: {file.name}, "
                f"labels: {labels.name}}}"
            )
    manifests = {}
    for kind, entries in lines.items():
        manifests[kind] = root / f"{kind}.yaml"
        manifests[kind].write_text(
            f"name: rat_{kind}\nfps: 30\npose_format: {kind}\n"
            "behaviours: [social, nonsocial, aggression]\n"
            "pose: {likelihood_threshold: 0.3, axis: [tail, top]}\n"
            "labels: {format: frame_csv}\nvideos:\n" + "\n".join(entries) + "\n"
        )
    return manifests


@pytest.mark.slow
def test_a_sleap_copy_runs_evaluates_and_predicts_like_the_deeplabcut_original(
    tmp_path: Path,
) -> None:
    manifests = _write_copies(tmp_path)
    sleap, dlc = load_dataset(manifests["sleap"]), load_dataset(manifests["dlc"])
    for a, b in zip(sleap.videos, dlc.videos, strict=True):
        from_sleap = pose_entry(a, sleap.pose, 10.0, tmp_path / "cache_sleap").load()
        from_dlc = pose_entry(b, dlc.pose, 10.0, tmp_path / "cache_dlc").load()
        assert from_sleap.shape == from_dlc.shape == (200, from_dlc.shape[1])
        np.testing.assert_allclose(from_sleap, from_dlc, atol=1e-3)  # float16 cache

    study = write_tiny_study(tmp_path / "study", name="sleap_tiny", dataset=manifests["sleap"])
    out = tmp_path / "out"
    run_then_evaluate(study, f"sqlite:///{tmp_path / 's.db'}", out, trials=2)
    model = str(out / "model")
    predicted = {}
    for kind, file in (("sleap", tmp_path / "rat08.slp"), ("dlc", tmp_path / "rat08_dlc.csv")):
        pred = run_cli("predict", model, str(file), "--out", str(tmp_path / f"p_{kind}"))
        assert pred.returncode == 0, pred.stderr
        predicted[kind] = pd.read_csv(
            tmp_path / f"p_{kind}" / f"{file.name.split('.')[0]}_frames.csv"
        )
    assert len(predicted["sleap"]) == len(predicted["dlc"]) == 200
    for behaviour in ("social", "nonsocial", "aggression"):
        column = f"{behaviour}_prob"
        np.testing.assert_allclose(predicted["sleap"][column], predicted["dlc"][column], atol=1e-4)
