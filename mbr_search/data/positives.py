"""Behaviours without a positive frame, checked once before the search.

The objective averages PR-AUC over the behaviours that have positives, so a behaviour with
no positive frame in any training video silently left the mean (the headline then averaged
2 of 3 behaviours). That is refused here. A fold without positives of a behaviour is normal
for rare behaviours and is only announced, once at run start, rather than only recorded in
a trial attribute nobody reads.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from mbr_search.errors import DataError


class _Dataset(Protocol):
    @property
    def path(self) -> Path: ...


class StudyLike(Protocol):
    """What the check reads of a StudyConfig (config/ is a layer above data/)."""

    @property
    def behaviours(self) -> tuple[str, ...]: ...
    @property
    def dataset(self) -> _Dataset: ...
    @property
    def path(self) -> Path: ...


class _Labelled(Protocol):
    # read-only properties: the frozen VideoData and Fold dataclasses match them
    @property
    def id(self) -> str: ...
    @property
    def labels(self) -> np.ndarray: ...


class _Fold(Protocol):
    @property
    def index(self) -> int: ...
    @property
    def train(self) -> Sequence[str]: ...
    @property
    def validation(self) -> Sequence[str]: ...


def check_positives(
    study: StudyLike, videos: Sequence[_Labelled], folds: Sequence[_Fold]
) -> list[str]:
    """Refuse a behaviour with no positive training frame; print (and return) one warning
    line per behaviour that some folds cannot train or score."""
    by_id = {v.id: v for v in videos}
    for c, name in enumerate(study.behaviours):
        if not any((v.labels[:, c] > 0).any() for v in videos):  # -1: not labelled
            raise DataError(
                f"{study.dataset.path}: behaviour '{name}' has no positive frame in the "
                f"{len(videos)} training videos, so it cannot be learned or scored. Fix: drop "
                f"'{name}' from `behaviours` in {study.path}, or label it in the training videos."
            )
    lines = [
        line for c in range(len(study.behaviours)) if (line := _fold_line(study, c, by_id, folds))
    ]
    for line in lines:
        print(line, file=sys.stderr, flush=True)
    return lines


def _fold_line(
    study: StudyLike, c: int, by_id: dict[str, _Labelled], folds: Sequence[_Fold]
) -> str | None:
    def has(ids: Sequence[str]) -> bool:
        return any((by_id[v].labels[:, c] > 0).any() for v in ids if v in by_id)

    untrained = [f.index for f in folds if not has(f.train)]
    unscored = [f.index for f in folds if has(f.train) and not has(f.validation)]
    if not untrained and not unscored:
        return None
    parts = []
    if untrained:
        parts.append(f"not trained in fold(s) {untrained} (no positive training frame)")
    if unscored:
        parts.append(f"not scored in fold(s) {unscored} (no positive validation frame)")
    name = study.behaviours[c]
    return (
        f"mbr-search: warning: behaviour '{name}' is {' and '.join(parts)}; the trial value "
        f"averages the other folds for it. Fix, if unintended: label more '{name}' or use "
        f"fewer, larger folds (cv in {study.path})."
    )
