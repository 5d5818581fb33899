"""Cross-validation folds over training videos (never over frames of one video)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.config.study import CVConfig
from mbr_search.errors import ConfigError


@dataclass(frozen=True)
class Fold:
    """One split of the training videos: fit on ``train``, score on ``validation``."""

    index: int
    train: tuple[str, ...]
    validation: tuple[str, ...]


def make_folds(video_ids: Sequence[str], cv: CVConfig, seed: int) -> list[Fold]:
    """Leave-one-video-out (the thesis) or k folds grouped by video, shuffled by ``seed``.

    Validation videos never appear in the same fold's training set; test videos are not
    passed here at all.
    """
    ids = list(video_ids)
    if len(set(ids)) != len(ids):
        raise ConfigError(f"duplicate video ids in folds: {ids}")
    if len(ids) < 2:
        raise ConfigError(f"cross-validation needs at least 2 training videos, got {len(ids)}.")
    if cv.scheme == "leave_one_video_out":
        groups = [[v] for v in ids]
    elif cv.scheme == "group_kfold":
        if cv.k > len(ids):
            raise ConfigError(
                f"cv.k={cv.k} folds but only {len(ids)} training videos. Fix: lower cv.k."
            )
        order = np.random.default_rng(seed).permutation(len(ids))
        groups = [[ids[i] for i in part] for part in np.array_split(order, cv.k)]
    else:  # validated at load time
        raise ConfigError(f"unknown cv.scheme '{cv.scheme}'")
    folds = [
        Fold(i, tuple(v for v in ids if v not in group), tuple(group))
        for i, group in enumerate(groups)
    ]
    if cv.max_folds is not None:
        folds = folds[: cv.max_folds]
    return folds
