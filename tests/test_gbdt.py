"""The gbdt family (LightGBM) and its frame trainer, on tiny real data (bundled rat pairs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from _shared import loaded_by_help
from conftest import write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.errors import DataError
from mbr_search.features.store import VideoData, load_split
from mbr_search.models import get_family
from mbr_search.models.gbdt import GbdtParams
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.training.frame_trainer import FrameTrainer, frame_weights
from mbr_search.training.scores import pr_auc
from mbr_search.training.sequences import Standardiser, class_weights
from mbr_search.training.trainers import TRAINERS, FoldLimits, trainer_for

BEHAVIOURS = ("social", "nonsocial", "aggression")
#: the frame trainer ignores standardisation (trees do not need it)
NO_SCALING = Standardiser(np.zeros(1, np.float32), np.ones(1, np.float32))
SMALL = {"num_leaves": 8, "max_rounds": 40, "early_stopping_rounds": 5, "learning_rate": 0.2}

GBDT_SPACE = """\
name: tiny_gbdt
model: gbdt
params:
  num_leaves: {type: int, low: 4, high: 16}
fixed:
  max_rounds: 30
  early_stopping_rounds: 5
  frame_step: 2
"""


@pytest.fixture(scope="module")
def rat_videos(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[VideoData], Any]:
    """The bundled rat videos at 10 fps (6 train, 2 test), read once for the module."""
    import os

    folder = tmp_path_factory.mktemp("gbdt")
    old = os.environ.get("MBR_SEARCH_HOME")
    os.environ["MBR_SEARCH_HOME"] = str(folder / "home")
    try:
        study = load_study(str(write_tiny_study(folder)))
        return load_split(study, "train") + load_split(study, "test"), study
    finally:
        if old is None:
            os.environ.pop("MBR_SEARCH_HOME", None)
        else:
            os.environ["MBR_SEARCH_HOME"] = old


def _trainer(**values: Any) -> FrameTrainer:
    params = GbdtParams.from_dict({**SMALL, **values})
    trainer = trainer_for(params, BEHAVIOURS, n_features=0, seed=7)
    assert isinstance(trainer, FrameTrainer)
    return trainer


def test_the_trainer_is_picked_by_kind_not_by_name() -> None:
    assert get_family("gbdt").kind == "frame" and TRAINERS["frame"] is FrameTrainer
    for name in ("lstm", "tcn", "transformer"):
        assert get_family(name).kind == "sequence"
    assert [g.name for g in _trainer().groups] == list(BEHAVIOURS)  # one booster each


def test_fit_fold_early_stops_and_predicts_every_validation_frame(rat_videos: Any) -> None:
    videos, _ = rat_videos
    train, val = videos[:4], videos[4:6]
    fit = _trainer().fit_fold(
        train, val, NO_SCALING, trainable=[0, 1, 2], limits=FoldLimits(1, 1), seed=3
    )
    assert set(fit.probs) == {v.id for v in val}
    for v in val:
        probs = fit.probs[v.id]
        assert probs.shape == (v.n_frames, 3) and probs.dtype == np.float32
        assert np.all((probs >= 0) & (probs <= 1))
    assert set(fit.best) == set(BEHAVIOURS)
    assert all(1 <= r <= SMALL["max_rounds"] for r in fit.best.values())
    labels = np.concatenate([v.labels for v in val])
    pred = np.concatenate([fit.probs[v.id] for v in val])
    scores = [pr_auc(labels[:, c], pred[:, c]) for c in range(2)]
    prevalence = labels[:, :2].mean(axis=0)
    assert all(s is not None and s > p + 0.1 for s, p in zip(scores, prevalence, strict=True))


def test_an_untrainable_behaviour_is_left_out(rat_videos: Any) -> None:
    videos, _ = rat_videos
    fit = _trainer().fit_fold(
        videos[:4], videos[4:6], NO_SCALING, trainable=[0], limits=FoldLimits(1, 1), seed=3
    )
    assert set(fit.best) == {"social"}
    assert not np.any(fit.probs[videos[4].id][:, 1:])


def test_class_weights_are_formula_4_1_and_reach_lightgbm(
    rat_videos: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lightgbm

    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0], dtype=np.uint8)
    w_neg, w_pos = class_weights(labels[:, None], np.ones(8, dtype=bool))
    np.testing.assert_allclose(frame_weights(labels), np.where(labels > 0, w_pos[0], w_neg[0]))
    np.testing.assert_allclose(frame_weights(labels)[:2], [8 / (2 * 2), 8 / (2 * 6)])

    seen: list[tuple[np.ndarray, np.ndarray | None]] = []
    real = lightgbm.Dataset

    def spy(data: Any, label: Any = None, weight: Any = None, **kw: Any) -> Any:
        seen.append((np.asarray(label), None if weight is None else np.asarray(weight)))
        return real(data, label=label, weight=weight, **kw)

    monkeypatch.setattr(lightgbm, "Dataset", spy)
    videos, _ = rat_videos
    _trainer(frame_step=3).fit_fold(
        videos[:4], videos[4:6], NO_SCALING, trainable=[0], limits=FoldLimits(1, 1), seed=3
    )
    (y, w), (y_val, w_val) = seen
    assert len(y) == sum(-(-v.n_frames // 3) for v in videos[:4])  # every 3rd frame
    assert w is not None and w_val is None  # validation frames are unweighted
    n = len(y)  # formula 4.1: each class carries half the total weight
    assert w[y > 0].sum() == pytest.approx(n / 2, rel=1e-5)
    assert w[y == 0].sum() == pytest.approx(n / 2, rel=1e-5)
    assert len(y_val) == sum(v.n_frames for v in videos[4:6])


def test_text_model_round_trip_predicts_identically(rat_videos: Any, tmp_path: Path) -> None:
    videos, _ = rat_videos
    trainer = _trainer()
    models = trainer.fit_all(videos[:6], NO_SCALING, {b: 12 for b in BEHAVIOURS})
    assert all(m.current_iteration() == 12 for m in models.values())
    test_video = videos[6]
    before = trainer.predict(models, test_video, NO_SCALING)
    assert before.shape == (test_video.n_frames, 3)
    loaded = {}
    for name, model in models.items():
        path = tmp_path / f"m0_{name}{trainer.suffix}"
        trainer.save(model, path)
        text = path.read_text(encoding="utf-8")
        assert text.startswith("tree\n") and "pickle" not in text
        loaded[name] = trainer.load(path)
    np.testing.assert_array_equal(trainer.predict(loaded, test_video, NO_SCALING), before)
    again = _trainer().fit_all(videos[:6], NO_SCALING, {b: 12 for b in BEHAVIOURS})
    for name in models:  # same seed, same data: the same trees
        assert again[name].model_to_string() == models[name].model_to_string()


def test_an_edited_model_file_is_a_data_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m0_social.txt"
    path.write_text("tree\nversion=v4\nnum_class=one\n")
    with pytest.raises(DataError, match=r"m0_social\.txt: not a readable LightGBM text model"):
        _trainer().load(path)
    path.write_bytes(b"\x80\x04\x95pickled")
    with pytest.raises(DataError, match="m0_social.txt"):
        _trainer().load(path)
    assert "[LightGBM]" not in capfd.readouterr().err  # the DataError is the one line


def test_objective_runs_gbdt_trials_on_the_same_folds(tmp_path: Path) -> None:
    from optuna.artifacts import FileSystemArtifactStore, download_artifact

    path = write_tiny_study(tmp_path)
    (tmp_path / "tiny_space.yaml").write_text(GBDT_SPACE)
    study = load_study(str(path))
    videos = load_split(study, "train")
    folds = video_folds(videos, study.cv, study.seed)
    (tmp_path / "art").mkdir()
    store = FileSystemArtifactStore(str(tmp_path / "art"))
    objective = Objective(study, videos, folds, artifact_store=store)
    optuna_study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    optuna_study.optimize(objective, n_trials=2)
    frames = {v.id: v.n_frames for v in videos}
    for t in optuna_study.trials:
        assert t.state == optuna.trial.TrialState.COMPLETE
        assert t.user_attrs["resolved_params"]["model"] == "gbdt"
        assert set(t.params) == {"num_leaves"}  # a one-family space: names as today
        assert set(t.user_attrs["best_epochs"]["0"]) == set(BEHAVIOURS)
        scores = [s for f in t.user_attrs["fold_scores"].values() for s in f.values() if s]
        assert t.value == pytest.approx(np.mean(scores)) and 0.3 < t.value <= 1.0
        oof_file = tmp_path / f"oof{t.number}.npz"
        download_artifact(
            artifact_store=store,
            artifact_id=t.user_attrs["oof_artifact_id"],
            file_path=str(oof_file),
        )
        with np.load(oof_file) as oof:
            validated = [v for f in folds for v in f.validation]
            assert sorted(oof.files) == sorted(validated)
            assert all(oof[v].shape == (frames[v], 3) for v in validated)


def test_help_and_report_modules_do_not_import_lightgbm() -> None:
    modules = ["mbr_search.config.space", "mbr_search.training.trainers", "mbr_search.report.build"]
    assert loaded_by_help(["lightgbm", "tensorflow"], after_importing=modules) == []
