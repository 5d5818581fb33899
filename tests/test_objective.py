"""The objective on tiny real data: real Keras training, real Optuna trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.models import get_family
from mbr_search.models.build import build_model
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.search.record import FOLD_SCORES as ATTR_FOLD_SCORES
from mbr_search.search.record import SKIPPED as ATTR_SKIPPED

pytestmark = pytest.mark.slow


def _objective(tmp_path: Path, **overrides: object) -> tuple[Objective, object]:
    study = load_study(str(write_tiny_study(tmp_path)), overrides=overrides)
    videos = load_split(study, "train")
    folds = video_folds(videos, study.cv, study.seed)
    return Objective(study, videos, folds), study


def test_two_trials_two_folds_score_and_record(tmp_path: Path) -> None:
    objective, _ = _objective(tmp_path)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=2)
    for t in study.trials:
        assert t.state == optuna.trial.TrialState.COMPLETE
        folds = t.user_attrs[ATTR_FOLD_SCORES]
        assert set(folds) == {"0", "1"}
        scores = [s for f in folds.values() for s in f.values() if s is not None]
        assert t.value == pytest.approx(np.mean(scores))
        assert 0.0 < t.value <= 1.0
        assert t.user_attrs["train_seconds"] > 0
        assert set(t.user_attrs["best_epochs"]["0"]) == {"all"}  # multi_label: one model


def test_pruning_after_the_first_fold(tmp_path: Path) -> None:
    objective, _ = _objective(tmp_path, **{"pruner.pruned_as": "pruned"})
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.01)
    )
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]
    assert list(trial.user_attrs[ATTR_FOLD_SCORES]) == ["0"]  # fold 1 never ran


def test_fold_without_positives_is_skipped_and_recorded(tmp_path: Path) -> None:
    # rat11 and rat10 have almost no aggression: validate on one video that has none in its
    # 10 fps frames is simulated by zeroing its labels.
    objective, _study_cfg = _objective(
        tmp_path, **{"cv.scheme": "leave_one_video_out", "cv.max_folds": 2}
    )
    first_val = objective.folds[0].validation[0]
    video = objective.videos[first_val]
    labels = video.labels.copy()
    labels[:, 2] = 0
    from dataclasses import replace

    objective.videos[first_val] = replace(video, labels=labels)
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.user_attrs[ATTR_FOLD_SCORES]["0"]["aggression"] is None
    assert [0, "aggression", "no positive frame in validation"] in trial.user_attrs[ATTR_SKIPPED]
    assert np.isfinite(trial.value)


def test_model_reset_between_folds_keeps_learning(tmp_path: Path) -> None:
    import keras

    from mbr_search.models.build import Resettable, build_model

    params = {
        "dropout": 0.0,
        "lstm_units": 8,
        "lstm_layers": 1,
        "bidirectional": False,
        "learning_rate": 0.05,
    }
    typed = get_family("lstm").params.from_dict(params)
    model = Resettable(build_model(typed, n_features=2, n_outputs=1))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 20, 2)).astype("float32")
    y = np.concatenate([(x[..., :1] > 0), np.ones((16, 20, 1))], axis=-1).astype("float32")
    losses = []
    for _ in range(2):  # two "folds"
        model.reset()
        first = model.net.fit(x, y, epochs=1, verbose=0).history["loss"][0]
        last = model.net.fit(x, y, epochs=15, verbose=0).history["loss"][-1]
        losses.append((first, last))
        assert last < first * 0.7, "the model must still learn after a reset"
    assert losses[0][0] == pytest.approx(losses[1][0], rel=0.05)  # reset really restores
    assert float(model.net.optimizer.learning_rate) == pytest.approx(0.05)
    keras.backend.clear_session()


@pytest.mark.parametrize("model", ["lstm", "tcn", "transformer"])
def test_every_model_type_builds_trains_and_ignores_padding(model: str, tmp_path: Path) -> None:
    import keras

    from mbr_search.models.build import build_model

    small = {"lstm_units": 8, "tcn_filters": 8, "tcn_dilations": 3, "transformer_dim": 16}
    family = get_family(model)
    params = family.params.from_dict({k: v for k, v in small.items() if k in family.params.rules()})
    net = build_model(params, n_features=4, n_outputs=2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 40, 4)).astype("float32")
    x[:, 30:] = 0.0
    labels = (x[..., :2] > 0).astype("float32")
    weights = np.ones_like(labels)
    weights[:, 30:] = 0.0
    history = net.fit(x, np.concatenate([labels, weights], -1), epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = tmp_path / "m.keras"
    net.save(path)
    again = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(again.predict(x, verbose=0), net.predict(x, verbose=0), atol=1e-5)
    if model in ("lstm", "transformer"):  # causal LSTM / masked attention: padding is inert
        full = net.predict(x[:1], verbose=0)[:, :30]
        cut_off = net.predict(x[:1, :30], verbose=0)
        np.testing.assert_allclose(full, cut_off, atol=1e-5)
    keras.backend.clear_session()


class PaddingLeak(AssertionError):
    """Predictions on real frames changed with the zero padding after them."""


def test_bidirectional_lstm_ignores_padding() -> None:
    """The one LSTM where tail padding can matter: its backward pass starts at the padding.

    ``cut`` pads every video's last sequence with zero frames (weight 0 in the loss) in
    training, validation, evaluate and predict alike; their predictions must not depend on
    how many padded frames follow them."""
    import keras

    family = get_family("lstm")
    params = family.params.from_dict({"lstm_units": 8, "bidirectional": True, "dropout": 0.0})
    net = build_model(params, n_features=4, n_outputs=2)
    assert [layer.name for layer in net.layers if "lstm" in layer.name] == ["bilstm_0"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 40, 4)).astype("float32")
    x[:, 30:] = 0.0
    labels = (x[..., :2] > 0).astype("float32")
    weights = np.ones_like(labels)
    weights[:, 30:] = 0.0
    net.fit(x, np.concatenate([labels, weights], -1), epochs=3, verbose=0)
    real = x[:1, :30]
    cut_off = net.predict(real, verbose=0)
    # The model does read later frames (so padding read as input would show) ...
    later = real.copy()
    later[:, 20:] += 3.0
    assert np.abs(net.predict(later, verbose=0)[:, :20] - cut_off[:, :20]).max() > 1e-3
    # ... and 10 or 120 padded frames after the same 30 real ones change nothing.
    for pad in (10, 120):
        padded = np.concatenate([real, np.zeros((1, pad, 4), "float32")], axis=1)
        gap = float(np.abs(net.predict(padded, verbose=0)[:, :30] - cut_off).max())
        if gap > 1e-5:
            keras.backend.clear_session()
            raise PaddingLeak(f"{pad} padded frames moved real-frame predictions by {gap:.2e}")
    keras.backend.clear_session()
