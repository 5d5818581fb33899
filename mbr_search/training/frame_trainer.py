"""The trainer of the frame families (``kind: frame``): gbdt, one LightGBM booster per behaviour.

Each frame is one row of its features (no sequences, no standardisation: trees do not need
it). Training frames are every ``frame_step``-th frame of each training video, weighted by
thesis formula 4.1 (:func:`~mbr_search.training.sequences.class_weights`, the neural models'
own function) on exactly those frames; early stopping uses every validation frame. A frame
whose label is UNLABELLED is left out of both, per behaviour (the returned probabilities
still cover every frame). LightGBM is imported only when a booster is fitted or loaded.
``on_epoch`` is not called: boosting rounds are not epochs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from mbr_search._atomic import write_text_atomic
from mbr_search.errors import DataError
from mbr_search.features.cache import release_pages
from mbr_search.features.store import VideoData
from mbr_search.models import gbdt
from mbr_search.scoring.labelled import known
from mbr_search.training import boost
from mbr_search.training._trainer import FoldFit, FoldLimits, Trainer
from mbr_search.training.fit import EpochCallback
from mbr_search.training.seeds import OutputGroup, output_groups
from mbr_search.training.sequences import Standardiser, class_weights


def frame_rows(videos: Sequence[VideoData], step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every ``step``-th frame of each video: (frames, features) float32, (frames, behaviours)."""
    xs, ys = [], []
    for video in videos:
        xs.append(np.asarray(video.features[::step], dtype=np.float32))
        ys.append(np.asarray(video.labels[::step]))
        release_pages(video.features)
    return np.concatenate(xs), np.concatenate(ys)


def frame_weights(labels: np.ndarray) -> np.ndarray:
    """Formula 4.1 per-frame weights of one behaviour's 0/1 ``labels`` (frames,)."""
    column = labels.reshape(-1, 1)
    w_neg, w_pos = class_weights(column, np.ones(len(column), dtype=bool))
    return np.where(column[:, 0] > 0, w_pos[0], w_neg[0]).astype(np.float32)


def labelled_frames(x: np.ndarray, labels: np.ndarray, *, weighted: bool) -> boost.Frames:
    """One behaviour's frames whose label is known (an UNLABELLED row is left out: never a
    negative), with formula 4.1 weights when ``weighted``."""
    keep = known(labels)
    if not keep.all():
        x, labels = x[keep], labels[keep]
    y = (labels > 0).astype(np.uint8)
    return boost.Frames(x, y, frame_weights(y) if weighted else None)


class FrameTrainer(Trainer):
    """Binary boosters on single frames, one per behaviour (output groups of one column)."""

    suffix = ".txt"

    @property
    def gbdt_params(self) -> gbdt.GbdtParams:
        return cast(gbdt.GbdtParams, self.params)

    def output_groups(self) -> list[OutputGroup]:
        return output_groups(self.behaviours, multi_label=False)

    def fit_fold(
        self,
        train: Sequence[VideoData],
        val: Sequence[VideoData],
        scaler: Standardiser,
        *,
        trainable: Collection[int],
        limits: FoldLimits,
        seed: int,
        on_epoch: EpochCallback | None = None,
    ) -> FoldFit:
        params = self.gbdt_params
        x, y = frame_rows(train, params.frame_step)
        x_val, y_val = frame_rows(val)
        pred = np.zeros((len(x_val), len(self.behaviours)), dtype=np.float32)
        best: dict[str, int] = {}
        for g in self.groups:
            (col,) = g.columns
            if col not in trainable:
                continue
            stop_on = labelled_frames(x_val, y_val[:, col], weighted=False)
            booster, best[g.name] = boost.fit_booster(
                params, labelled_frames(x, y[:, col], weighted=True), seed=seed,
                val=stop_on if len(stop_on.y) else None,
                deadline=limits.deadline,
            )  # fmt: skip
            pred[:, col] = gbdt.predict(booster, x_val, best[g.name])
        bounds = np.cumsum([0, *(v.n_frames for v in val)])
        probs = {v.id: pred[bounds[i] : bounds[i + 1]] for i, v in enumerate(val)}
        return FoldFit(probs, best)

    def fit_all(
        self,
        videos: Sequence[VideoData],
        scaler: Standardiser,
        rounds: Mapping[str, int],
        *,
        on_epoch: EpochCallback | None = None,
    ) -> dict[str, Any]:
        params = self.gbdt_params
        x, y = frame_rows(videos, params.frame_step)
        fitted: dict[str, Any] = {}
        for g in self.groups:
            (col,) = g.columns
            fitted[g.name], _ = boost.fit_booster(
                params, labelled_frames(x, y[:, col], weighted=True), seed=self.seed,
                rounds=rounds[g.name],
            )  # fmt: skip
        return fitted

    def predict(
        self, models: Mapping[str, Any], video: VideoData, scaler: Standardiser
    ) -> np.ndarray:
        x, _ = frame_rows([video])
        out = np.zeros((len(x), len(self.behaviours)), dtype=np.float32)
        for g in self.groups:
            out[:, g.columns[0]] = gbdt.predict(models[g.name], x)
        return out

    def save(self, model: Any, path: Path) -> None:
        write_text_atomic(path, gbdt.to_text(model))

    def load(self, path: Path) -> Any:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read the LightGBM model ({exc}).") from exc
        return gbdt.from_text(text, str(path))
