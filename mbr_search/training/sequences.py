"""Cut videos into fixed-length sequences, standardise, and weight frames (formula 4.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.features.cache import release_pages
from mbr_search.features.store import VideoData
from mbr_search.scoring.labelled import LABEL_DTYPE, known


@dataclass(frozen=True)
class Batchable:
    """Sequences ready for Keras: inputs, 0/1 targets and a mask of real (unpadded) frames."""

    x: np.ndarray  # (n, seq_len, dim) float16 (the model computes in float32)
    y: np.ndarray  # (n, seq_len, behaviours) int8: 1, 0 or UNLABELLED (scoring/labelled.py)
    mask: np.ndarray  # (n, seq_len) bool
    owners: tuple[tuple[str, int], ...]  # (video id, first frame) of each sequence

    def frames(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        """Unpadded (labels, mask-selected) view of one behaviour column, flattened."""
        return self.y[..., column][self.mask], self.mask


@dataclass(frozen=True)
class Standardiser:
    """Per-feature mean/std of the training videos of one fold."""

    mean: np.ndarray
    std: np.ndarray

    def apply(self, block: np.ndarray) -> np.ndarray:
        return (np.asarray(block, dtype=np.float32) - self.mean) / self.std

    def digest(self) -> str:
        """Content hash: the same fold and feature view give the same one."""
        return hashlib.sha1(self.mean.tobytes() + self.std.tobytes()).hexdigest()


class MomentCache:
    """Per-video sums for fast per-fold standardisation without re-reading all data."""

    def __init__(self, videos: Sequence[VideoData]) -> None:
        self._moments: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
        for video in videos:
            total = np.zeros(video.features.shape[1])
            squares = np.zeros(video.features.shape[1])
            for start in range(0, video.n_frames, 8192):
                block = np.asarray(video.features[start : start + 8192], dtype=np.float64)
                total += block.sum(axis=0)
                squares += (block * block).sum(axis=0)
            self._moments[video.id] = (video.n_frames, total, squares)
            release_pages(video.features)

    def standardiser(self, video_ids: Sequence[str]) -> Standardiser:
        n = sum(self._moments[v][0] for v in video_ids)
        total = np.sum([self._moments[v][1] for v in video_ids], axis=0)
        squares = np.sum([self._moments[v][2] for v in video_ids], axis=0)
        mean = total / n
        var = np.maximum(squares / n - mean * mean, 0.0)
        std = np.sqrt(var)
        std[std < 1e-6] = 1.0  # constant features: leave them at zero instead of dividing by 0
        return Standardiser(mean.astype(np.float32), std.astype(np.float32))


def cut(videos: Sequence[VideoData], seq_len: int, scaler: Standardiser) -> Batchable:
    """Cut each video into ``ceil(frames / seq_len)`` sequences. ``mask`` marks the frames
    each sequence is responsible for (scored, weighted, returned by :func:`unpad`): every
    frame exactly once, none dropped. The last sequence ends at the video's last frame
    (overlapping the one before); only a video shorter than ``seq_len`` is zero-padded.

    Standardised values are stored as float16, like the cache: a thesis-scale fold is
    then half the memory, and Keras's own copy of it too; the model casts each batch to
    float32.
    """
    counts = [-(-v.n_frames // seq_len) for v in videos]
    n = sum(counts)
    dim = videos[0].features.shape[1]
    n_beh = videos[0].labels.shape[1]
    x = np.zeros((n, seq_len, dim), dtype=np.float16)
    y = np.zeros((n, seq_len, n_beh), dtype=LABEL_DTYPE)
    mask = np.zeros((n, seq_len), dtype=bool)
    owners: list[tuple[str, int]] = []
    row = 0
    for video, count in zip(videos, counts, strict=True):
        for s in range(count):
            start = s * seq_len
            # A short last sequence is taken as the last seq_len real frames, its already
            # covered head masked out: real context instead of zero padding, which a
            # backward LSTM or a non-causal convolution would otherwise read into the
            # real frames. Only a video shorter than seq_len is zero-padded.
            first = max(0, min(start, video.n_frames - seq_len))
            stop = min(first + seq_len, video.n_frames)
            length = stop - first
            x[row, :length] = scaler.apply(video.features[first:stop])
            y[row, :length] = video.labels[first:stop]
            mask[row, start - first : length] = True
            owners.append((video.id, start))
            row += 1
        release_pages(video.features)
    return Batchable(x, y, mask, tuple(owners))


def class_weights(y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thesis formula 4.1 per behaviour, on unpadded labelled frames of the training fold:
    w_neg = N / (2 N_neg), w_pos = N / (2 N_pos), N = N_pos + N_neg (an unlabelled frame
    is neither). A class with no frames gets weight 0."""
    labels = y[mask]  # (frames, behaviours)
    pos = (labels == 1).sum(axis=0).astype(np.float64)
    neg = (labels == 0).sum(axis=0).astype(np.float64)
    total = pos + neg
    with np.errstate(divide="ignore"):
        w_pos = np.where(pos > 0, total / (2.0 * np.maximum(pos, 1)), 0.0)
        w_neg = np.where(neg > 0, total / (2.0 * np.maximum(neg, 1)), 0.0)
    return w_neg, w_pos


def exclusive_weights(y: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
    """Formula 4.1 for one softmax over the behaviours plus "none" (scikit-learn's
    "balanced"): class c weighs N / (K N_c) over the K classes present among the N unpadded
    frames labelled for every behaviour. Returns (weight of each behaviour, weight of "none")."""
    labels = y[mask]
    labels = labels[known(labels).all(axis=-1)].astype(np.float64)
    total = labels.shape[0]
    counts = np.append(labels.sum(axis=0), float(np.sum(labels.sum(axis=1) == 0)))
    present = max(int(np.sum(counts > 0)), 1)
    with np.errstate(divide="ignore"):
        w = np.where(counts > 0, total / (present * np.maximum(counts, 1)), 0.0)
    return w[:-1], float(w[-1])


def packed_targets(
    data: Batchable, columns: Sequence[int], *, exclusive: bool = False
) -> np.ndarray:
    """Targets for the weighted loss: labels and per-frame weights side by side.

    Shape (n, seq_len, 2 * len(columns)); padded and unlabelled frames have weight 0 (and
    target 0), so they add nothing to the loss. ``exclusive`` (the softmax head): each
    frame's weight is that of its class, repeated in every column; a frame unlabelled for
    any behaviour has no class and weight 0.
    """
    raw = data.y[..., list(columns)]
    labelled = known(raw)
    y = (raw > 0).astype(np.float32)
    if exclusive:
        w_beh, w_none = exclusive_weights(raw, data.mask)
        frame = np.where(y.any(axis=-1), (y * w_beh).max(axis=-1), w_none) * data.mask
        weights = np.repeat((frame * labelled.all(axis=-1))[..., None], len(columns), axis=-1)
    else:
        w_neg, w_pos = class_weights(raw, data.mask)
        weights = np.where(y > 0, w_pos, w_neg) * data.mask[..., None] * labelled
    return np.concatenate([y, weights.astype(np.float32)], axis=-1)


def unpad(pred: np.ndarray, data: Batchable, video_id: str) -> np.ndarray:
    """Per-frame predictions of one video, in frame order, padding removed."""
    rows = [i for i, (vid, _) in enumerate(data.owners) if vid == video_id]
    return np.concatenate([pred[i][data.mask[i]] for i in rows], axis=0)
