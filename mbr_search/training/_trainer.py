"""The one interface every trainer offers, whatever its family's kind (see ``trainers.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mbr_search.errors import TrialFailed
from mbr_search.features.store import VideoData
from mbr_search.models import Params
from mbr_search.training.fit import EpochCallback
from mbr_search.training.reuse import Reuse
from mbr_search.training.seeds import OutputGroup
from mbr_search.training.sequences import Standardiser

#: (training videos, seed) -> their augmented copies (``features/augmented.py``'s
#: ``Augmenter.copies``); given to a trainer, never called on validation or test videos.
Augment = Callable[[Sequence[VideoData], int], list[VideoData]]


@dataclass(frozen=True)
class FoldLimits:
    """How long one fold may train: the study's ``training`` section."""

    max_epochs: int
    patience: int
    #: ``time.perf_counter()`` past which the fold fails the trial; None: no limit
    deadline: float | None = None


@dataclass(frozen=True)
class FoldFit:
    """What one fold's training produced."""

    #: validation video id -> (frames, n_behaviours) float32 probabilities, in frame order;
    #: the columns of an output group that was not trained are 0
    probs: dict[str, np.ndarray]
    #: output group -> best epoch (sequence) or boosting round (frame); trained groups only
    best: dict[str, int]


class Trainer(ABC):
    """Trains one trial's models: prepared once per trial, then fold after fold.

    Constructing one is cheap (``evaluate`` and ``predict`` build one to :meth:`load` and
    :meth:`predict`); :meth:`prepare` does the per-trial work (the sequence trainer builds
    and compiles its Keras models) and runs by itself before the first fit if not called.
    ``models`` (from :meth:`fit_all`, or :meth:`load` per file) map an output group's name
    to its fitted model, in :attr:`groups` order.
    """

    #: the file suffix of one output group's saved model in a model directory
    suffix: ClassVar[str] = ""

    def __init__(
        self,
        params: Params,
        behaviours: Sequence[str],
        *,
        n_features: int,
        seed: int,
        augment: Augment | None = None,
        reuse: Reuse | None = None,
    ) -> None:
        self.params = params
        self.behaviours = tuple(behaviours)
        self.n_features = n_features
        #: the trial seed (``seeds.trial_seed``): initial weights and retraining draws
        self.seed = seed
        #: makes augmented copies of training videos, used when the params ask for them
        self.augment = augment
        #: what the search's earlier trials left to share (compiled models, sequences)
        self.reuse = reuse
        self.groups: tuple[OutputGroup, ...] = tuple(self.output_groups())

    def with_copies(self, train: Sequence[VideoData], seed: int) -> list[VideoData]:
        """``train`` plus its augmented copies when the trial augments (``augment: true``),
        else ``train``. Only ever called with training videos: validation and test
        frames are never augmented."""
        if not getattr(self.params, "augment", False):
            return list(train)
        if self.augment is None:
            raise TrialFailed(
                f"{self.params.family}: augment is true but no augmenter was given (pose "
                "features and the study's features.augment are needed)."
            )
        return [*train, *self.augment(train, seed)]

    @abstractmethod
    def output_groups(self) -> list[OutputGroup]:
        """The models this trial trains and the behaviour columns of each."""

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Per-trial set-up before the first fold (idempotent)."""

    @abstractmethod
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
        """Fit every group with a ``trainable`` column on ``train`` (early stopping on
        ``val``) and predict ``val``; groups without one are left out (probabilities 0)."""

    @abstractmethod
    def fit_all(
        self,
        videos: Sequence[VideoData],
        scaler: Standardiser,
        rounds: Mapping[str, int],
        *,
        on_epoch: EpochCallback | None = None,
    ) -> dict[str, Any]:
        """Fit every group on ``videos`` for exactly ``rounds[group]`` epochs / boosting
        rounds, seeded with :attr:`seed` (retraining); group name -> fitted model."""

    @abstractmethod
    def predict(
        self, models: Mapping[str, Any], video: VideoData, scaler: Standardiser
    ) -> np.ndarray:
        """(frames, n_behaviours) float32 probabilities of one video."""

    @abstractmethod
    def save(self, model: Any, path: Path) -> None:
        """Write one group's fitted model to ``path`` (its name ends in :attr:`suffix`)."""

    @abstractmethod
    def load(self, path: Path) -> Any:
        """Read one group's model written by :meth:`save`; unusable files: ``DataError``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Free what the trial held (the sequence trainer clears the Keras session)."""
