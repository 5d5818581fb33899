"""The learner a user gets, for ``benchmarks/active_learning.py --learner auto_pose``: the
shipped ``auto_pose`` study at a small budget, run and evaluated by the CLI on the frames
labelled so far, its model directory (the selected ensemble ``predict`` and ``suggest``
use) predicting the pool and the test videos.

Partly labelled videos go in as the product takes them (issue 23): each training video
with a labelled frame gets a per-frame CSV whose unlabelled frames are empty cells; a video
with none is left out of the manifest (the product refuses a video labelled nowhere). The
search never sees the test videos' labels before ``evaluate``; the benchmark scores the
test videos itself, with the same scorer as the gbdt learner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import yaml

#: ``evaluate --top``: the shipped default, so the selected ensemble has its usual pool
TOP = 3


@dataclass(frozen=True)
class SearchModel:
    """One round's model directory, loaded."""

    model: Any  # inference.model_dir.ModelDir
    nets: list[list[object]]
    out: Path


class SearchLearner:
    """``mbr-search run`` (``trials`` trials of ``auto_pose``) + ``evaluate`` per round."""

    def __init__(self, manifest: Path, work: Path, trials: int) -> None:
        from mbr_search.config.dataset import load_dataset
        from mbr_search.config.study import load_study
        from mbr_search.features.store import load_split

        self.manifest, self.work, self.trials = manifest, work, trials
        self.dataset = load_dataset(manifest)
        self.base = load_study(str(self._study("base", manifest)), cache_dir=work / "cache")
        self.behaviours = tuple(self.base.behaviours)
        self.train_videos = sorted(load_split(self.base, "train"), key=lambda v: v.id)
        self.test_videos = load_split(self.base, "test")
        self.rounds = 0

    def _study(self, name: str, manifest: Path) -> Path:
        shipped = yaml.safe_load((_bench.ROOT / "studies" / "auto_pose.yaml").read_text("utf-8"))
        shipped |= {"name": f"al_{name}", "dataset": str(manifest), "trials": self.trials}
        shipped["space"] = str(_bench.ROOT / "search_spaces" / "auto_pose.yaml")
        return _bench.write_yaml(self.work / "studies" / f"al_{name}.yaml", shipped)

    def train(self, masks: Mapping[str, np.ndarray]) -> SearchModel:
        """Search and evaluate on the labelled frames of ``masks`` (study frames)."""
        from mbr_search.inference import model_dir

        self.rounds += 1
        name = f"r{self.rounds:03d}"
        study = self._study(name, self._partial_manifest(name, masks))
        common = ["--storage", f"sqlite:///{self.work / 'al.db'}", "--cache-dir",
                  self.work / "cache", "--artifacts", self.work / "artifacts"]  # fmt: skip
        out = self.work / "eval" / name
        home = self.work / "home"
        _bench.cli("run", study, "--trials", self.trials, "--no-progress", *common, home=home)
        _bench.cli("evaluate", study, "--top", TOP, "--no-importance", "--out", out, *common,
                   home=home)  # fmt: skip
        model = model_dir.load(out / "model")
        return SearchModel(model, model_dir.load_nets(model), out)

    def _partial_manifest(self, name: str, masks: Mapping[str, np.ndarray]) -> Path:
        """The manifest with each training video's labelled frames only (empty cells
        elsewhere); training videos without a labelled frame left out."""
        raw = yaml.safe_load(self.manifest.read_text("utf-8"))
        folder = self.work / "labels" / name
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for entry in raw["videos"]:
            if entry.get("split") == "train":
                mask = masks[entry["id"]]
                if not mask.any():
                    continue
                labels = self._labels_csv(folder, entry["id"], mask)
                entry = {**entry, "labels": {"format": "frame_csv", "file": str(labels)}}
            kept.append(entry)
        raw["videos"] = kept
        base = self.manifest.parent
        for entry in kept:  # keep the manifest's relative paths valid from the new folder
            for key in ("pose", "video"):
                if key in entry and not Path(entry[key]).is_absolute():
                    entry[key] = str(base / entry[key])
            if isinstance(entry.get("labels"), str):
                entry["labels"] = str(base / entry["labels"])
        if isinstance(raw.get("labels"), dict) and "file" in raw["labels"]:
            raw["labels"]["file"] = str(base / raw["labels"]["file"])
        return _bench.write_yaml(folder / "dataset.yaml", raw)

    def _labels_csv(self, folder: Path, video_id: str, mask: np.ndarray) -> Path:
        """The video's true labels at its source frames, empty where ``mask`` (at the
        study's frames) says not labelled."""
        from mbr_search.data.labels import read_labels

        (entry,) = [v for v in self.dataset.videos if v.id == video_id]
        assert entry.labels is not None
        truth = read_labels(entry.labels, self.behaviours, n_frames=0, fps=entry.fps).values
        fps = float(self.base.fps or entry.fps)
        study_frame = np.floor(np.arange(len(truth)) * fps / entry.fps + 1e-6).astype(int)
        labelled = mask[np.clip(study_frame, 0, len(mask) - 1)]
        cells = np.where(labelled[:, None] & (truth >= 0), truth.astype(str), "")
        lines = ["frame," + ",".join(self.behaviours)]
        lines += [f"{i}," + ",".join(row) for i, row in enumerate(cells)]
        path = folder / f"{video_id}.csv"
        path.write_text("\n".join(lines) + "\n")
        return path

    def member_probs(self, fitted: SearchModel, video: Any) -> np.ndarray:
        """(members, frames, behaviours) of one video, every member of the model dir."""
        from mbr_search.inference.probabilities import member_probabilities

        m = fitted.model
        return member_probabilities(m.members, fitted.nets, m.standardiser, video,
                                    len(self.behaviours))  # fmt: skip

    def weights(self, fitted: SearchModel) -> list[float]:
        from mbr_search.inference.probabilities import member_weights

        return [float(w) for w in member_weights(fitted.model.members)]

    def thresholds(self, fitted: SearchModel) -> list[float]:
        return [float(t) for t in fitted.model.threshold_list]

    def describe(self, fitted: SearchModel) -> dict[str, Any]:
        """What was selected: each member's family and weight (results in ``fitted.out``)."""
        return {
            "members": [
                {"family": getattr(m, "family", None), "weight": round(float(w), 4)}
                for m, w in zip(fitted.model.members, self.weights(fitted), strict=True)
            ]
        }


def weighted(probs: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    """The ensemble's (frames, behaviours) mean of (members, frames, behaviours)."""
    return np.tensordot(np.asarray(weights, dtype=np.float64), probs, axes=1)
