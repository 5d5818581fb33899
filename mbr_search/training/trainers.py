"""One trainer per family kind, with one interface: what the search and retraining call.

``TRAINERS[family.kind]`` is the trainer class of a family (never an if-chain over model
names); :func:`trainer_for` builds one for a trial. The interface (:class:`Trainer`):

- ``Trainer(params, behaviours, n_features=, seed=, reuse=)`` is cheap; ``prepare()`` sets up one
  trial (the sequence trainer builds and compiles its Keras models, once, with the trial
  seed; a fit prepares by itself if it was not called);
- ``fit_fold(train, val, scaler, trainable=, limits=, seed=)`` -> :class:`FoldFit`: per
  validation video (frames, n_behaviours) probabilities and the best epoch / boosting round
  per output group, early-stopped on the validation videos;
- ``fit_all(videos, scaler, rounds)`` -> {group: model}: a fixed number of epochs / rounds
  per group on all training videos (retraining), seeded with the trial seed;
- ``augment=`` (optional): makes augmented copies of training videos; a trial whose params
  say ``augment: true`` adds them to each fold's training videos (drawn with the fold seed)
  and to retraining (the trial seed), never to validation or predicted videos;
- ``predict(models, video, scaler)`` -> (frames, n_behaviours) probabilities of one video;
- ``save(model, path)`` / ``load(path)``: one group's model file (``suffix``: ``.keras``, or
  LightGBM's text format ``.txt``, never a pickle); ``close()`` frees the trial.
"""

from __future__ import annotations

from collections.abc import Sequence

from mbr_search.models import FRAME, SEQUENCE, Params, get_family
from mbr_search.training._trainer import Augment, FoldFit, FoldLimits, Trainer
from mbr_search.training.frame_trainer import FrameTrainer
from mbr_search.training.reuse import Reuse
from mbr_search.training.sequence_trainer import SequenceTrainer

__all__ = [
    "TRAINERS", "Augment", "FoldFit", "FoldLimits", "Trainer", "trainer_class", "trainer_for",
]  # fmt: skip

TRAINERS: dict[str, type[Trainer]] = {SEQUENCE: SequenceTrainer, FRAME: FrameTrainer}


def trainer_class(params: Params) -> type[Trainer]:
    """The trainer class of ``params``' family."""
    return TRAINERS[get_family(params.family).kind]


def trainer_for(
    params: Params,
    behaviours: Sequence[str],
    *,
    n_features: int,
    seed: int,
    augment: Augment | None = None,
    reuse: Reuse | None = None,
) -> Trainer:
    """A trainer prepared for one trial of ``params``' family; ``augment`` makes augmented
    copies of training videos for a trial whose params ask for them; ``reuse`` holds what
    the search's earlier trials left to share (``training/reuse.py``)."""
    return trainer_class(params)(
        params, behaviours, n_features=n_features, seed=seed, augment=augment, reuse=reuse
    )
