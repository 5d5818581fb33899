"""``weighted_bce`` against a hand computation, padded frames (weight 0) included."""

from __future__ import annotations

from math import log

import keras
import numpy as np
import pytest

from mbr_search.models.losses import weighted_bce

EPS = 1e-7  # keras.config.epsilon(): predictions are clipped to [EPS, 1 - EPS]

# Two sequences of 4 frames, 2 behaviours. Sequence 0: 3 real frames then 1 padded frame;
# sequence 1: 1 real frame then 3 padded frames. Padded frames have weight 0 and predictions
# that would be huge (or infinite) losses if they counted.
LABELS = np.array(
    [
        [[1, 0], [0, 1], [1, 1], [0, 1]],
        [[1, 0], [0, 0], [1, 1], [0, 0]],
    ],
    dtype=np.float32,
)
WEIGHTS = np.array(
    [
        [[2.0, 0.5], [0.5, 2.0], [1.5, 1.0], [0.0, 0.0]],
        [[1.0, 0.25], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
    ],
    dtype=np.float32,
)
PRED = np.array(
    [
        [[0.9, 0.2], [0.3, 0.6], [0.5, 0.99], [0.0, 0.0]],
        [[0.0, 0.4], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]],
    ],
    dtype=np.float32,
)
# By hand: -w * log(p) for a positive, -w * log(1 - p) for a negative, over the 8 entries
# with weight > 0 (p = 0 for a positive is clipped to EPS), divided by their count, 8.
HAND = -(
    2.0 * log(0.9) + 0.5 * log(1 - 0.2)  # sequence 0, frame 0
    + 0.5 * log(1 - 0.3) + 2.0 * log(0.6)  # frame 1
    + 1.5 * log(0.5) + 1.0 * log(0.99)  # frame 2
    + 1.0 * log(EPS) + 0.25 * log(1 - 0.4)  # sequence 1, frame 0
) / 8  # fmt: skip


def _loss(labels: np.ndarray, weights: np.ndarray, pred: np.ndarray) -> float:
    y_true = keras.ops.convert_to_tensor(np.concatenate([labels, weights], axis=-1))
    return float(
        keras.ops.convert_to_numpy(weighted_bce(y_true, keras.ops.convert_to_tensor(pred)))
    )


def test_weighted_bce_matches_a_hand_computation() -> None:
    assert keras.config.epsilon() == EPS
    assert pytest.approx(18.8179 / 8, abs=1e-4) == HAND  # the eight terms summed on paper
    assert _loss(LABELS, WEIGHTS, PRED) == pytest.approx(HAND, rel=1e-5)
    # The same by numpy over the arrays (a second, independent spelling of the formula).
    p = np.clip(PRED.astype(np.float64), EPS, 1 - EPS)
    bce = -(LABELS * np.log(p) + (1 - LABELS) * np.log(1 - p))
    assert pytest.approx(float((bce * WEIGHTS).sum() / (WEIGHTS > 0).sum()), rel=1e-6) == HAND


def test_padded_frames_change_nothing_and_all_padding_is_zero() -> None:
    base = _loss(LABELS, WEIGHTS, PRED)
    rng = np.random.default_rng(0)
    padded = WEIGHTS == 0
    other_pred = np.where(padded, rng.random(PRED.shape), PRED).astype(np.float32)
    other_labels = np.where(padded, 1 - LABELS, LABELS).astype(np.float32)
    assert _loss(other_labels, WEIGHTS, other_pred) == pytest.approx(base, rel=1e-6)
    # Appending a fully padded sequence changes neither the sum nor the count.
    more = [np.concatenate([a, np.zeros_like(a[:1])]) for a in (LABELS, WEIGHTS, PRED)]
    assert _loss(*more) == pytest.approx(base, rel=1e-6)
    # Weights scale the loss; with no weighted entry at all the loss is 0, not NaN.
    assert _loss(LABELS, 3 * WEIGHTS, PRED) == pytest.approx(3 * base, rel=1e-5)
    assert _loss(LABELS, np.zeros_like(WEIGHTS), PRED) == 0.0


def test_keras_training_reports_the_same_number() -> None:
    """Compiled into a model (an identity net, so its output is PRED), Keras does not reduce
    the loss again: ``evaluate`` on the whole batch gives the hand value."""
    inputs = keras.Input(shape=(None, 2))
    net = keras.Model(inputs, keras.layers.Identity()(inputs))
    net.compile(loss=weighted_bce)
    y_true = np.concatenate([LABELS, WEIGHTS], axis=-1)
    assert net.evaluate(PRED, y_true, batch_size=len(PRED), verbose=0) == pytest.approx(
        HAND, rel=1e-5
    )
    keras.backend.clear_session()
