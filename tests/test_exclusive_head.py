"""The exclusive head (``head: softmax``): probabilities that sum to at most 1, its loss and
class weights by hand, the refusal of overlapping labels before a search, and a real search
through run, evaluate and predict on the bundled rat data."""

from __future__ import annotations

import json
import re
from math import log
from pathlib import Path

import numpy as np
import pytest
from _shared import RAT_PROBS, one_evaluated_trial, predict_and_suggest_rat08
from conftest import RAT_MINI, TINY_SPACE, run_cli, write_tiny_study

from mbr_search.errors import ConfigError
from mbr_search.training.sequences import Batchable, exclusive_weights, packed_targets

EPS = 1e-7  # keras.config.epsilon()
SOFTMAX_SPACE = TINY_SPACE.replace(
    "  multi_label: true\n", "  multi_label: true\n  head: softmax\n"
)
POSE = RAT_MINI.parent / "dlc"


@pytest.mark.parametrize(
    ("family", "extra"),
    [
        ("lstm", {"lstm_units": 4}),
        ("tcn", {"tcn_filters": 4, "tcn_dilations": 2}),
        ("transformer", {"transformer_dim": 8, "transformer_heads": 2, "transformer_layers": 1}),
    ],
)
def test_softmax_probabilities_sum_to_at_most_one(family: str, extra: dict[str, int]) -> None:
    from mbr_search.models import get_family
    from mbr_search.models.build import build_model
    from mbr_search.training.sequence_trainer import SequenceTrainer

    params = get_family(family).params.from_dict({"head": "softmax", "seq_len": 30, **extra})
    trainer = SequenceTrainer(params, ("a", "b", "c"), n_features=5, seed=0)
    # One model over every behaviour although multi_label is false: a softmax spans them.
    assert [g.columns for g in trainer.groups] == [(0, 1, 2)]
    net = build_model(params, n_features=5, n_outputs=3)  # type: ignore[arg-type]
    x = np.random.default_rng(0).normal(size=(4, 30, 5)).astype(np.float32) * 3
    p = net.predict(x, verbose=0)
    assert p.shape == (4, 30, 3) and (p >= 0).all()
    assert p.sum(axis=-1).max() <= 1 + 1e-6 and p.sum(axis=-1).min() < 1  # "none" keeps a share


def test_the_exclusive_loss_matches_a_hand_computation() -> None:
    import keras

    from mbr_search.models.losses import weighted_exclusive_ce

    # 3 frames, 2 behaviours: frame 0 is 'a', frame 1 is none, frame 2 is padding.
    labels = np.array([[[1, 0], [0, 0], [0, 1]]], dtype=np.float32)
    weights = np.array([[2.0, 0.5, 0.0]], dtype=np.float32)
    pred = np.array([[[0.7, 0.1], [0.3, 0.3], [0.0, 0.0]]], dtype=np.float32)
    packed = np.concatenate([labels, np.repeat(weights[..., None], 2, axis=-1)], axis=-1)
    got = keras.ops.convert_to_numpy(
        weighted_exclusive_ce(
            keras.ops.convert_to_tensor(packed), keras.ops.convert_to_tensor(pred)
        )
    )
    hand = -(2.0 * log(0.7) + 0.5 * log(1 - 0.3 - 0.3)) / 2  # two frames with weight > 0
    assert float(got) == pytest.approx(hand, rel=1e-5)


def test_exclusive_targets_weigh_each_frame_by_its_class() -> None:
    y = np.zeros((1, 10, 2), dtype=np.uint8)
    y[0, :2, 0] = 1  # 2 frames of 'a', 1 of 'b', 6 of none, 1 padded
    y[0, 2, 1] = 1
    mask = np.ones((1, 10), dtype=bool)
    mask[0, 9] = False
    w_beh, w_none = exclusive_weights(y, mask)
    np.testing.assert_allclose(w_beh, [9 / (3 * 2), 9 / (3 * 1)])  # N / (K N_c)
    assert w_none == pytest.approx(9 / (3 * 6))
    data = Batchable(np.zeros((1, 10, 1), np.float16), y, mask, (("v", 0),))
    packed = packed_targets(data, [0, 1], exclusive=True)
    assert packed.shape == (1, 10, 4)
    np.testing.assert_allclose(packed[0, :, 2], [1.5, 1.5, 3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0])
    np.testing.assert_array_equal(packed[0, :, 2], packed[0, :, 3])


def test_the_head_is_a_sequence_hyperparameter_and_gbdt_refuses_it(tmp_path: Path) -> None:
    from mbr_search.config.space import load_space

    auto = tmp_path / "auto.yaml"
    auto.write_text(
        "model: {choices: [lstm, gbdt]}\n"
        "params:\n  lstm: {head: {type: categorical, choices: [sigmoid, softmax]}}\n"
        "  gbdt: {head: {type: categorical, choices: [sigmoid, softmax]}}\n"
    )
    with pytest.raises(ConfigError, match="head"):
        load_space(auto)
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tcn\nparams: {}\nfixed: {head: softmaxx}\n")
    with pytest.raises(ConfigError, match=r"one of \['sigmoid', 'softmax'\]"):
        load_space(bad)


def _overlapping_dataset(folder: Path) -> Path:
    """Three training videos and one test video of the bundled rats, with per-frame labels
    in which rat02 has 100 frames of social *and* aggression, rat05 10 of nonsocial and
    aggression."""
    folder.mkdir(parents=True)
    videos = {"rat01": ("1", "train"), "rat02": ("2", "train"), "rat05": ("5", "train")}
    videos["rat08"] = ("8", "test")
    frame = np.arange(4500)
    entries = []
    for vid, (number, split) in videos.items():
        labels = np.zeros((4500, 3), dtype=int)
        labels[(frame // 300) % 4 == 1, 0] = 1  # social, nonsocial, aggression in turn
        labels[(frame // 300) % 4 == 2, 1] = 1
        labels[(frame // 300) % 4 == 3, 2] = 1
        if vid == "rat02":
            labels[300:400, 2] = 1  # inside a social stretch
        if vid == "rat05":
            labels[600:610, 2] = 1  # inside a nonsocial stretch
        rows = ["social,nonsocial,aggression", *(",".join(map(str, r)) for r in labels)]
        (folder / f"{vid}.csv").write_text("\n".join(rows) + "\n")
        pose = POSE / f"{number}DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
        entries.append(f"  - {{id: {vid}, split: {split}, pose: {pose}, labels: {vid}.csv}}")
    manifest = folder / "dataset.yaml"
    manifest.write_text(
        "name: overlapping\nfps: 30\nlength_tolerance: 10\n"
        "behaviours: [social, nonsocial, aggression]\n"
        "pose: {likelihood_threshold: 0.3, axis: [tail, top]}\n"
        "labels: {format: frame_csv}\nvideos:\n" + "\n".join(entries) + "\n"
    )
    return manifest


def test_overlapping_labels_are_refused_before_the_first_trial(tmp_path: Path) -> None:
    import optuna

    manifest = _overlapping_dataset(tmp_path / "data")
    study = write_tiny_study(tmp_path / "study", dataset=manifest)
    (tmp_path / "study" / "tiny_space.yaml").write_text(SOFTMAX_SPACE)
    db = f"sqlite:///{tmp_path / 's.db'}"
    result = run_cli("run", str(study), "--trials", "1", "--storage", db, "--no-progress")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"mbr-search: error: {manifest}: ") and "head can be softmax" in line
    # Counted at the study's 10 fps: 100 and 10 frames at 30 fps are 33/34 and 3/4.
    assert re.search(
        r" 3\d frames \(at 10 fps\) show two or more: social\+aggression: 3[34] frames \(rat02\); ",
        line,
    )
    assert re.search(r"nonsocial\+aggression: [34] frames \(rat05\)\. ", line)
    assert "Fix: drop softmax from head (head: sigmoid)" in line
    names = optuna.get_all_study_names(db) if (tmp_path / "s.db").exists() else []
    assert all(not optuna.load_study(study_name=n, storage=db).trials for n in names)
    # The same labels with the sigmoid head only are fine to search: nothing is checked.
    from mbr_search.config.study import load_study
    from mbr_search.search.exclusive import check_exclusive_labels, softmax_keys

    (tmp_path / "study" / "tiny_space.yaml").write_text(TINY_SPACE)
    assert softmax_keys(load_study(str(study))) == []
    check_exclusive_labels(load_study(str(study)), [])


@pytest.mark.slow
def test_a_softmax_search_runs_through_evaluate_predict_and_suggest(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path)
    (tmp_path / "tiny_space.yaml").write_text(SOFTMAX_SPACE)
    out = tmp_path / "rep"  # the rat Caltech S1 labels exclude each other: run accepts it
    trial, model = one_evaluated_trial(study, f"sqlite:///{tmp_path / 's.db'}", out)
    assert trial["params"]["head"] == "softmax"
    (member,) = json.loads((model / "model.json").read_text())["members"]
    assert member["params"]["head"] == "softmax" and len(member["groups"]) == 1
    predicted = predict_and_suggest_rat08(model, out, trial, tmp_path)
    assert predicted[RAT_PROBS].sum(axis=1).max() <= 1 + 1e-4


def test_the_example_space_searches_the_head_on_the_shipped_tcn_study() -> None:
    from mbr_search.config.study import load_study
    from mbr_search.search.exclusive import softmax_keys

    study = load_study("tcn_pose", overrides={"space": "tcn_pose_head"})
    assert study.space.name == "tcn_pose_head" and softmax_keys(study) == ["head"]
