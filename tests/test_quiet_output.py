"""What a user sees: the dashboard's objective has a name, and predicting with several Keras
models prints no TensorFlow retracing warnings (issue 24, item 9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import optuna
import pytest

from mbr_search.storage import (
    OBJECTIVE_NAME,
    load_or_create_study,
    open_storage,
    resolve_storage,
)


def test_a_new_and_an_old_study_name_their_objective(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    storage = open_storage(resolve_storage(url))
    made = load_or_create_study(storage, study_name="new", sampler=None, pruner=None)
    assert made.metric_names == [OBJECTIVE_NAME] == ["mean PR-AUC"]
    # A study made before the name existed (plain Optuna): named when `run` opens it.
    optuna.create_study(storage=storage, study_name="old", direction="maximize")
    assert optuna.load_study(study_name="old", storage=storage).metric_names is None
    load_or_create_study(storage, study_name="old", sampler=None, pruner=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("new", "old"):
            reread = optuna.load_study(study_name=name, storage=open_storage(resolve_storage(url)))
            assert reread.metric_names == ["mean PR-AUC"]


#: Nine fresh models through the sequence trainer's predict, as evaluate and predict do with
#: their members; prints TensorFlow's stderr as it comes.
PREDICT_NINE = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras
    import mbr_search.training.sequence_trainer as st
    from mbr_search.features.store import VideoData
    from mbr_search.models import get_family
    from mbr_search.training.sequences import Standardiser
    from mbr_search.training.trainers import trainer_for

    if sys.argv[1] == "unmuted":  # the control: the same predictions without the filter
        st.mute_retracing_warning = lambda: None
    params = get_family("lstm").params.from_dict({"lstm_units": 4, "seq_len": 50,
                                                   "multi_label": False})
    behaviours, dim = ["a", "b", "c"], 6
    rng = np.random.default_rng(0)
    video = VideoData("v", "test", rng.random((620, dim)).astype(np.float16),
                      np.zeros((620, 3), np.uint8), False)
    scaler = Standardiser(np.zeros(dim, np.float32), np.ones(dim, np.float32))
    for _ in range(3):
        trainer = trainer_for(params, behaviours, n_features=dim, seed=0)
        models = {g.name: keras.Sequential([keras.Input((50, dim)),
                                            keras.layers.LSTM(4, return_sequences=True),
                                            keras.layers.Dense(1, activation="sigmoid")])
                  for g in trainer.groups}
        assert trainer.predict(models, video, scaler).shape == (620, 3)
    print("predicted")
    """
)


@pytest.mark.slow
def test_predicting_with_several_models_prints_no_retracing_warning(tmp_path: Path) -> None:
    def predict_nine(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PREDICT_NINE, mode], cwd=tmp_path, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip

    quiet = predict_nine("muted")
    assert quiet.returncode == 0, quiet.stderr
    assert "predicted" in quiet.stdout
    assert "retracing" not in quiet.stderr, quiet.stderr
    loud = predict_nine("unmuted")  # proves the test would see the warning
    assert loud.returncode == 0, loud.stderr
    assert "triggered tf.function retracing" in loud.stderr
