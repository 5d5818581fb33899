"""The MS-TCN family: stages side by side with the last one the prediction, its staged loss
and smoothing loss against hand computations, a saved model that predicts the same, and a
real search through run, evaluate and predict on the bundled rat data."""

from __future__ import annotations

from math import log
from pathlib import Path

import numpy as np
import pytest
from _shared import one_evaluated_trial, predict_and_suggest_rat08
from conftest import write_tiny_study

EPS = 1e-7  # keras.config.epsilon()
SMALL = {"seq_len": 40, "mstcn_layers": 3, "mstcn_refine_layers": 2, "mstcn_filters": 8}
MSTCN_SPACE = """\
name: tiny_mstcn
model: mstcn
params:
  mstcn_stages: {type: int, low: 1, high: 2}
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
fixed:
  seq_len: 150
  batch_size: 16
  mstcn_layers: 4
  mstcn_refine_layers: 3
  mstcn_filters: 8
  dropout: 0.1
  multi_label: true
"""


def _tensor(a: np.ndarray) -> object:
    import keras

    return keras.ops.convert_to_tensor(a.astype(np.float32))


def _numpy(t: object) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(t))


def _params(**extra: object) -> object:
    from mbr_search.models import get_family

    return get_family("mstcn").params.from_dict({**SMALL, **extra})


@pytest.mark.parametrize(("stages", "head"), [(0, "sigmoid"), (2, "sigmoid"), (3, "softmax")])
def test_the_network_puts_every_stage_side_by_side(stages: int, head: str) -> None:
    from mbr_search.models import final_block
    from mbr_search.models.build import build_model

    params = _params(mstcn_stages=stages, head=head)
    net = build_model(params, n_features=5, n_outputs=3)  # type: ignore[arg-type]
    x = np.random.default_rng(0).normal(size=(2, 40, 5)).astype(np.float32)
    p = net.predict(x, verbose=0)
    assert p.shape == (2, 40, 3 * (stages + 1))
    last = final_block(p, 3)
    assert last.shape == (2, 40, 3) and (last >= 0).all() and (last <= 1).all()
    np.testing.assert_array_equal(last, p[..., -3:])
    if head == "softmax":  # every stage is a distribution over behaviours plus "none"
        assert p.reshape(2, 40, stages + 1, 3).sum(axis=-1).max() <= 1 + 1e-6


def test_the_staged_loss_is_the_mean_of_its_stages_losses() -> None:
    from mbr_search.models.losses import StagedLoss, weighted_bce

    rng = np.random.default_rng(1)
    labels = (rng.random((2, 6, 2)) > 0.5).astype(np.float32)
    weights = rng.random((2, 6, 2)).astype(np.float32)
    y = np.concatenate([labels, weights], axis=-1)
    first, second = rng.uniform(0.05, 0.95, (2, 2, 6, 2))
    packed = np.concatenate([first, second], axis=-1)
    got = _numpy(StagedLoss(smoothing=0.0)(_tensor(y), _tensor(packed)))
    by_stage = [_numpy(weighted_bce(_tensor(y), _tensor(p))) for p in (first, second)]
    assert got == pytest.approx(np.mean(by_stage), rel=1e-5)
    # one stage: exactly the head's own loss
    assert _numpy(StagedLoss(smoothing=0.0)(_tensor(y), _tensor(first))) == pytest.approx(
        by_stage[0], rel=1e-5
    )


def test_the_smoothing_loss_matches_a_hand_computation() -> None:
    from mbr_search.models.losses import SMOOTHING_TAU, smoothing_loss

    # 1 behaviour, 5 frames; frame 4 is padding (weight 0): pairs (0,1), (1,2), (2,3) count.
    p = np.array([[[0.5], [0.5], [0.1], [1e-9], [0.9]]], dtype=np.float32)
    w = np.array([[[1.0], [1.0], [2.0], [1.0], [0.0]]], dtype=np.float32)
    y = np.concatenate([np.zeros_like(p), w], axis=-1)
    steps = [0.0, log(0.1 / 0.5), log(EPS / 0.1)]  # the last is truncated at tau^2
    hand = np.mean([min(s * s, SMOOTHING_TAU**2) for s in steps])
    assert _numpy(smoothing_loss(_tensor(y), _tensor(p), exclusive=False)) == pytest.approx(
        hand, rel=1e-4
    )
    flat = np.full_like(p, 0.3)
    assert _numpy(smoothing_loss(_tensor(y), _tensor(flat), exclusive=False)) == 0.0


def test_the_smoothing_weight_adds_to_the_loss_of_a_flickering_prediction() -> None:
    from mbr_search.models.losses import StagedLoss

    labels = np.zeros((1, 8, 1), np.float32)
    y = np.concatenate([labels, np.ones_like(labels)], axis=-1)
    flicker = np.tile(np.array([0.1, 0.4], np.float32), 4).reshape(1, 8, 1)
    plain = _numpy(StagedLoss(smoothing=0.0)(_tensor(y), _tensor(flicker)))
    smooth = _numpy(StagedLoss(smoothing=0.15)(_tensor(y), _tensor(flicker)))
    assert smooth == pytest.approx(plain + 0.15 * log(4.0) ** 2, rel=1e-4)


def test_a_saved_model_predicts_the_same(tmp_path: Path) -> None:
    from mbr_search.models.build import build_model
    from mbr_search.training.sequence_trainer import SequenceTrainer

    params = _params(mstcn_stages=1)
    net = build_model(params, n_features=4, n_outputs=2)  # type: ignore[arg-type]
    trainer = SequenceTrainer(params, ("a", "b"), n_features=4, seed=0)  # type: ignore[arg-type]
    path = tmp_path / "m.keras"
    trainer.save(net, path)
    x = np.random.default_rng(2).normal(size=(1, 40, 4)).astype(np.float32)
    np.testing.assert_allclose(trainer.load(path).predict(x, verbose=0), net.predict(x, verbose=0))


def test_mstcn_hyperparameters_are_checked() -> None:
    from mbr_search.errors import ConfigError

    with pytest.raises(ConfigError, match=r"mstcn_stages: value 9 .* integer in 0\.\.5"):
        _params(mstcn_stages=9)
    with pytest.raises(ConfigError, match=r"mstcn_smoothing: value -0\.1 .* >= 0"):
        _params(mstcn_smoothing=-0.1)


@pytest.mark.slow
def test_an_mstcn_search_runs_through_evaluate_predict_and_suggest(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path)
    (tmp_path / "tiny_space.yaml").write_text(MSTCN_SPACE)
    out = tmp_path / "rep"
    trial, model = one_evaluated_trial(study, f"sqlite:///{tmp_path / 's.db'}", out)
    assert trial["params"]["model"] == "mstcn"
    pooled = trial["test"]["raw"]["pooled"]
    assert all(0.0 < pooled[b]["pr_auc"] <= 1.0 for b in ("social", "nonsocial", "aggression"))
    predict_and_suggest_rat08(model, out, trial, tmp_path)
