"""One trainer per family kind, with one interface: what the search and retraining call.

``TRAINERS[family.kind]`` is the trainer class of a family (never an if-chain over model
names); :func:`trainer_for` builds one for a trial. The interface (:class:`Trainer`):

- ``Trainer(params, behaviours, n_features=, seed=)`` is cheap; ``prepare()`` sets up one
  trial (the sequence trainer builds and compiles its Keras models, once, with the trial
  seed; a fit prepares by itself if it was not called);
- ``fit_fold(train, val, scaler, trainable=, limits=, seed=)`` -> :class:`FoldFit`: per
  validation video (frames, n_behaviours) probabilities and the best epoch / boosting round
  per output group, early-stopped on the validation videos;
- ``fit_all(videos, scaler, rounds)`` -> {group: model}: a fixed number of epochs / rounds
  per group on all training videos (retraining), seeded with the trial seed;
- ``predict(models, video, scaler)`` -> (frames, n_behaviours) probabilities of one video;
- ``save(model, path)`` / ``load(path)``: one group's model file (``suffix``: ``.keras``, or
  LightGBM's text format ``.txt``, never a pickle); ``close()`` frees the trial.
"""

from __future__ import annotations

from collections.abc import Sequence

from mbr_search.models import FRAME, SEQUENCE, Params, get_family
from mbr_search.training._trainer import FoldFit, FoldLimits, Trainer
from mbr_search.training.frame_trainer import FrameTrainer
from mbr_search.training.sequence_trainer import SequenceTrainer

__all__ = ["TRAINERS", "FoldFit", "FoldLimits", "Trainer", "trainer_class", "trainer_for"]

TRAINERS: dict[str, type[Trainer]] = {SEQUENCE: SequenceTrainer, FRAME: FrameTrainer}


def trainer_class(params: Params) -> type[Trainer]:
    """The trainer class of ``params``' family."""
    return TRAINERS[get_family(params.family).kind]


def trainer_for(
    params: Params, behaviours: Sequence[str], *, n_features: int, seed: int
) -> Trainer:
    """A trainer prepared for one trial of ``params``' family."""
    return trainer_class(params)(params, behaviours, n_features=n_features, seed=seed)
