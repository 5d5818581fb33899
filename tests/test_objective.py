"""The objective on tiny real data: real Keras training, real Optuna trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.search.folds import make_folds
from mbr_search.search.objective import ATTR_FOLD_SCORES, ATTR_SKIPPED, Objective

pytestmark = pytest.mark.slow


def _objective(tmp_path: Path, **overrides: object) -> tuple[Objective, object]:
    study = load_study(str(write_tiny_study(tmp_path)), overrides=overrides)
    videos = load_split(study, "train")
    folds = make_folds([v.id for v in videos], study.cv, study.seed)
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
    objective, _ = _objective(tmp_path)
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

    from mbr_search.search.models import Resettable, build_model

    params = {
        "dropout": 0.0,
        "lstm_units": 8,
        "lstm_layers": 1,
        "bidirectional": False,
        "learning_rate": 0.05,
    }
    model = Resettable(build_model(params, model="lstm", n_features=2, n_outputs=1))
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

    from mbr_search.config.space import KNOWN_PARAMS
    from mbr_search.search.models import build_model

    params = {k: v[0] for k, v in KNOWN_PARAMS.items() if model in v[1]}
    params.update(lstm_units=8, tcn_filters=8, tcn_dilations=3, tcn_causal=True, transformer_dim=16)
    net = build_model(params, model=model, n_features=4, n_outputs=2)
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
