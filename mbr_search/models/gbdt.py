"""Gradient-boosted trees (LightGBM) as a model family: one binary booster per behaviour.

``model: gbdt`` is a *frame* family: it classifies each frame from that frame's features
alone (window features give it context), trained by the frame trainer of
``training/trainers.py`` on the same folds, PR-AUC and formula 4.1 weights as the neural
families. LightGBM is imported inside the functions that need it, never at import time.

Why LightGBM and not scikit-learn's ``HistGradientBoostingClassifier``:

- **No pickle.** A booster saves to LightGBM's text format (``model_to_string``) and loads
  from it (``Booster(model_str=...)``); a HistGradientBoosting model can only be saved by
  pickling it, and unpickling a model file runs whatever code the file asks for.
- **Early stopping on our validation frames.** ``lightgbm.train`` stops on any validation
  set (the fold's validation videos); HistGradientBoosting only holds out a random fraction
  of the training rows, which mixes neighbouring frames of the same video.
- **Measured**, not assumed: the bundled ``rat_social_mini`` pose features (94 per frame),
  one model per behaviour fitted on the 6 training videos and scored on the 2 test videos,
  formula 4.1 / ``class_weight="balanced"`` weights, learning rate 0.1, one thread each,
  CPU seconds for the three models, test PR-AUC social / nonsocial / aggression (mean):

  ===============================  ===========  ==================  ===========================
  data, rounds                     model        CPU s               PR-AUC (mean)
  ===============================  ===========  ==================  ===========================
  10 fps (9,000 frames), 300       LightGBM     9.6                 .653 / .697 / .342 (.564)
  10 fps (9,000 frames), 300       HistGB       27.8                .657 / .717 / .347 (.574)
  30 fps (27,000 frames), 300      LightGBM     13.7                .600 / .702 / .360 (.554)
  30 fps (27,000 frames), 300      HistGB       51.9                .658 / .703 / .349 (.570)
  30 fps, 100                      LightGBM     6.1                 .597 / .716 / .352 (.555)
  30 fps, 100                      HistGB       41.6                .677 / .702 / .362 (.580)
  30 fps, 300, 15 leaves, min 100  LightGBM     9.2 (lr 0.05)       .633 / .691 / .374 (.566)
  ===============================  ===========  ==================  ===========================

  LightGBM took 3-7x less CPU (measured on a shared 2-core machine: CPU seconds, not wall).
  With these untuned settings HistGradientBoosting scored 0.01-0.025 higher on these two
  test videos; num_leaves / min_child_samples / learning_rate, which the search tunes,
  close most of that (.566 against .570-.580). Near-equal quality, several times the speed,
  and the two points above decide for LightGBM.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mbr_search.errors import DataError
from mbr_search.models._family import FRAME, Family
from mbr_search.models._params import Params, integer, non_negative, param, positive, share

if TYPE_CHECKING:
    import lightgbm

#: LightGBM's metric for early stopping: the validation PR-AUC, as for the neural families;
#: validation frames without a positive fall back to the log loss (PR-AUC is undefined).
STOP_METRIC = "average_precision"
FALLBACK_METRIC = "binary_logloss"

_log = logging.getLogger(__name__)


def import_lightgbm() -> ModuleType:
    """LightGBM, its native messages routed to this module's logger at debug level: a bad
    model file is one DataError line, not a '[LightGBM] [Fatal]' line before it."""
    import lightgbm

    lightgbm.register_logger(_log, info_method_name="debug", warning_method_name="debug")
    return lightgbm


@dataclass(frozen=True)
class GbdtParams(Params):
    family: ClassVar[str] = "gbdt"

    num_leaves: int = param(31, *integer(2, 4096))
    learning_rate: float = param(0.05, *positive())
    #: boosting rounds at most; early stopping on the validation frames picks the best
    max_rounds: int = param(400, *integer(1))
    early_stopping_rounds: int = param(30, *integer(1))
    min_child_samples: int = param(20, *integer(1))
    feature_fraction: float = param(1.0, *share())
    bagging_fraction: float = param(1.0, *share())
    lambda_l2: float = param(0.0, *non_negative())
    #: train on every k-th training frame (neighbouring frames are near copies)
    frame_step: int = param(1, *integer(1))


def num_threads() -> int:
    """LightGBM threads: ``OMP_NUM_THREADS`` (set per worker by ``--workers``), else 0
    (LightGBM's default: all cores)."""
    try:
        return max(int(os.environ.get("OMP_NUM_THREADS", "0")), 0)
    except ValueError:
        return 0


def booster_params(
    params: GbdtParams, seed: int, metric: str
) -> dict[str, str | int | float | bool]:
    """LightGBM training parameters: deterministic given ``seed`` and the thread count."""
    return {
        "objective": "binary",
        "metric": metric,
        "num_leaves": params.num_leaves,
        "learning_rate": params.learning_rate,
        "min_child_samples": params.min_child_samples,
        "feature_fraction": params.feature_fraction,
        "bagging_fraction": params.bagging_fraction,
        "bagging_freq": 1 if params.bagging_fraction < 1 else 0,
        "lambda_l2": params.lambda_l2,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,  # deterministic needs a fixed histogram layout
        "num_threads": num_threads(),
        "verbose": -1,
    }


def predict(booster: lightgbm.Booster, x: np.ndarray, rounds: int | None = None) -> np.ndarray:
    """(frames,) float32 probabilities, from the first ``rounds`` trees (None: all)."""
    return np.asarray(booster.predict(x, num_iteration=rounds), dtype=np.float32)


def to_text(booster: lightgbm.Booster) -> str:
    """The booster in LightGBM's text model format (no pickle)."""
    return str(booster.model_to_string())


def from_text(text: str, source: str) -> lightgbm.Booster:
    """A booster from its text model; an edited or truncated model is a :class:`DataError`."""
    lgb = import_lightgbm()
    try:
        with _native_stderr_muted():
            booster = lgb.Booster(model_str=text)
    except (lgb.basic.LightGBMError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{source}: not a readable LightGBM text model ({first}). Fix: restore the file "
            "as evaluate wrote it, or run evaluate again."
        ) from None
    if booster.num_trees() < 1:
        raise DataError(f"{source}: the LightGBM model has no trees. Fix: run evaluate again.")
    return booster


@contextmanager
def _native_stderr_muted() -> Iterator[None]:
    """LightGBM's C++ ``Log::Fatal`` writes to file descriptor 2 itself before raising; the
    error it raises says the same, so the line is dropped while a model is parsed."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


FAMILY = Family(
    "gbdt", GbdtParams, description="LightGBM boosted trees on single frames", kind=FRAME
)
