"""The sequence trainer's interface (the one evaluate and predict will call), on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.models import get_family
from mbr_search.training.sequence_trainer import SequenceTrainer
from mbr_search.training.sequences import MomentCache
from mbr_search.training.trainers import FoldLimits, trainer_for

pytestmark = pytest.mark.slow


def test_sequence_trainer_fits_saves_loads_and_predicts_the_same(tmp_path: Path) -> None:
    import keras

    study = load_study(str(write_tiny_study(tmp_path)))
    videos = load_split(study, "train")
    scaler = MomentCache(videos).standardiser([v.id for v in videos[:4]])
    params = get_family("lstm").params.from_dict(
        {"lstm_units": 8, "seq_len": 150, "multi_label": False, "dropout": 0.1}
    )
    trainer = trainer_for(params, study.behaviours, n_features=94, seed=5)
    assert isinstance(trainer, SequenceTrainer) and trainer.models == {}  # cheap until prepared
    fit = trainer.fit_fold(
        videos[:4], videos[4:], scaler, trainable=[0, 2], limits=FoldLimits(1, 1), seed=1
    )
    assert set(fit.best) == {"social", "aggression"}  # nonsocial: not trainable, left out
    for v in videos[4:]:
        assert fit.probs[v.id].shape == (v.n_frames, 3) and not fit.probs[v.id][:, 1].any()
    models = trainer.fit_all(videos[:4], scaler, {g.name: 1 for g in trainer.groups})
    before = trainer.predict(models, videos[5], scaler)
    fresh = trainer_for(params, study.behaviours, n_features=94, seed=0)
    loaded = {}
    for name, net in models.items():
        path = tmp_path / f"m0_{name}{trainer.suffix}"
        trainer.save(net, path)
        loaded[name] = fresh.load(path)
    np.testing.assert_allclose(fresh.predict(loaded, videos[5], scaler), before, atol=1e-6)
    assert fresh.models == {}  # loading and predicting built nothing
    trainer.close()
    keras.backend.clear_session()
