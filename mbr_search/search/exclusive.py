"""The softmax head's precondition: no training frame shows two behaviours at once.

A softmax over the behaviours plus "none" (``models/heads.py``) can give a frame only one
of them; trained on overlapping labels it would learn to split each overlapping frame's
probability and be scored against labels it cannot represent. So a study whose space can
choose ``head: softmax`` is refused, once, before its first trial (and before ``evaluate``
retrains), naming the overlapping behaviours.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import DataError
from mbr_search.features.store import VideoData
from mbr_search.models.heads import SOFTMAX

#: overlapping pairs named in the message (the most frequent first)
SHOWN_PAIRS = 3


def softmax_keys(study: StudyConfig) -> list[str]:
    """The space's keys (``head``, ``lstm.head``, ...) that can be ``softmax``."""
    return [key for key, value in study.space.values_of("head") if value == SOFTMAX]


def check_exclusive_labels(study: StudyConfig, videos: Sequence[VideoData]) -> None:
    """Refuse a space that can pick the softmax head when a training frame of ``videos``
    has two or more of the study's behaviours (one DataError line)."""
    keys = softmax_keys(study)
    if not keys:
        return
    pairs = overlapping_pairs(study.behaviours, videos)
    if not pairs:
        return
    total = sum(int(((np.asarray(v.labels) > 0).sum(axis=1) >= 2).sum()) for v in videos)
    shown = "; ".join(
        f"{a}+{b}: {frames} frames ({', '.join(ids[:3])}{', ...' if len(ids) > 3 else ''})"
        for (a, b), (frames, ids) in list(pairs.items())[:SHOWN_PAIRS]
    )
    more = f"; {len(pairs) - SHOWN_PAIRS} more pairs" if len(pairs) > SHOWN_PAIRS else ""
    rate = f" (at {study.fps:g} fps)" if study.fps else ""
    raise DataError(
        f"{study.dataset.path}: {study.space.path}: {keys[0]} can be {SOFTMAX}, which needs "
        f"every training frame to show at most one behaviour, but {total} frames{rate} show "
        f"two or more: {shown}{more}. Fix: drop {SOFTMAX} from {keys[0]} (head: sigmoid), "
        "or study behaviours that exclude each other."
    )


def overlapping_pairs(
    behaviours: Sequence[str], videos: Sequence[VideoData]
) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(behaviour a, behaviour b) -> (frames with both, the videos they are in), most
    frames first; only pairs that overlap somewhere."""
    found: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for video in videos:
        y = np.asarray(video.labels) > 0
        if not (y.sum(axis=1) >= 2).any():
            continue
        for i, j in combinations(range(len(behaviours)), 2):
            both = int(np.sum(y[:, i] & y[:, j]))
            if both:
                frames, ids = found.get((behaviours[i], behaviours[j]), (0, []))
                found[(behaviours[i], behaviours[j])] = (frames + both, [*ids, video.id])
    return dict(sorted(found.items(), key=lambda item: -item[1][0]))
