"""Issue 22's data and model-file holes, each at its root: one keypoint schema for every
video, behaviours without positives, Caltech intervals past the video, damaged model files."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _bad_cases import POSE_TEST, POSE_TRAIN, pose_mutations
from _bad_inputs import TINY_GBDT, copy_dataset, mutate_file, study_text
from _bad_model_cases import _drop_tree
from conftest import BUNDLED

from mbr_search.config.dataset import load_dataset
from mbr_search.config.study import load_study
from mbr_search.data.positives import check_positives
from mbr_search.errors import DataError
from mbr_search.features.pose_schema import dataset_schema
from mbr_search.features.store import load_split
from mbr_search.inference.model_files import check_keras, check_lightgbm, check_model_file

RAT = BUNDLED / "rat_social_mini"


def _rat_copy(tmp_path: Path, mutation: str | None = None, target: str = POSE_TRAIN) -> Path:
    data = copy_dataset(RAT, tmp_path / "data")
    if mutation is not None:
        mutate_file(data / target, pose_mutations()[mutation])
    return data / "dataset.yaml"


def _study(tmp_path: Path, dataset: Path, behaviours: str = "[social, nonsocial, aggression]"):
    (tmp_path / "space.yaml").write_text(TINY_GBDT)
    path = tmp_path / "study.yaml"
    path.write_text(study_text(dataset, behaviours))
    return load_study(str(path))


def test_a_video_with_keypoints_in_another_order_gives_the_same_features(tmp_path: Path) -> None:
    good = load_split(_study(tmp_path / "a", _rat_copy(tmp_path / "a")), "train")
    moved = load_split(
        _study(tmp_path / "b", _rat_copy(tmp_path / "b", "keypoints_reordered")), "train"
    )
    assert [v.id for v in good] == [v.id for v in moved]
    for a, b in zip(good, moved, strict=True):
        assert np.array_equal(np.asarray(a.features), np.asarray(b.features)), a.id


@pytest.mark.parametrize(
    ("mutation", "target", "words"),
    [
        ("keypoint_renamed", POSE_TRAIN, ["missing ['tail-e']", "tailend"]),
        ("keypoint_missing", POSE_TEST, ["missing ['tail-e']", "rat08"]),
        ("one_animal", POSE_TRAIN, ["1 animal(s)", "has 2"]),
        ("three_animals", POSE_TEST, ["3 animal(s)", "has 2"]),
        ("keypoint_duplicated", POSE_TRAIN, ["appears twice"]),
    ],
)
def test_another_keypoint_set_or_animal_count_is_refused_with_the_difference(
    tmp_path: Path, mutation: str, target: str, words: list[str]
) -> None:
    dataset = load_dataset(_rat_copy(tmp_path, mutation, target))
    with pytest.raises(DataError) as err:
        dataset_schema(dataset)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "data" / target)), message
    assert all(w in message for w in words), message
    assert "Fix:" in message and "\n" not in message


def test_the_schema_keeps_the_first_training_videos_order() -> None:
    schema = dataset_schema(load_dataset(RAT / "dataset.yaml"))
    assert schema is not None and schema.animals == 2
    assert schema.keypoints == ("top", "body", "tail", "tail-m", "tail-e")


def _videos(labels: dict[str, list[int]]) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(id=k, labels=np.array(v, dtype=np.uint8)[:, None])
        for k, v in labels.items()
    ]


def test_a_behaviour_without_any_positive_training_frame_is_refused(tmp_path: Path) -> None:
    study = SimpleNamespace(
        behaviours=("grooming",), dataset=SimpleNamespace(path=Path("d.yaml")), path=Path("s.yaml")
    )
    fold = SimpleNamespace(index=0, train=("a",), validation=("b",))
    with pytest.raises(
        DataError,
        match=r"d.yaml: behaviour 'grooming' has no positive frame.*"
        r"drop 'grooming' from `behaviours` in s.yaml, or label it",
    ):
        check_positives(study, _videos({"a": [0, 0], "b": [0, 0]}), [fold])  # type: ignore[arg-type]


def test_a_fold_without_positives_is_announced_at_run_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = SimpleNamespace(
        behaviours=("grooming",), dataset=SimpleNamespace(path=Path("d.yaml")), path=Path("s.yaml")
    )
    videos = _videos({"a": [1, 0], "b": [0, 0], "c": [0, 0]})
    folds = [
        SimpleNamespace(index=0, train=("a", "b"), validation=("c",)),
        SimpleNamespace(index=1, train=("b", "c"), validation=("a",)),
    ]
    lines = check_positives(study, videos, folds)  # type: ignore[arg-type]
    assert len(lines) == 1
    assert "'grooming' is not trained in fold(s) [1]" in lines[0]
    assert "not scored in fold(s) [0]" in lines[0]
    assert capsys.readouterr().err.strip() == lines[0]


def test_a_search_refuses_a_behaviour_without_positives_before_the_storage(tmp_path: Path) -> None:
    from mbr_search.cli.main import main

    data = _rat_copy(tmp_path)
    text = data.read_text().replace("  stream: S1", "  stream: S1\n  names: {aggression: freezing}")
    data.write_text(text)
    study = _study(tmp_path, data).path
    db = tmp_path / "s.db"
    assert main(["run", str(study), "--trials", "1", "--storage", f"sqlite:///{db}"]) == 2
    assert not db.exists()


@pytest.mark.parametrize("stream", ["S1", "S2"])
def test_a_caltech_interval_past_the_video_end_is_refused(tmp_path: Path, stream: str) -> None:
    data = _rat_copy(tmp_path)
    annot = data.parent / "annotations" / "1_annot.txt"
    text = annot.read_text()
    if stream == "S1":
        text = text.replace("4305\t4500\tsocial", "4305\t9999\tsocial", 1)
    else:
        text = "\t9999\t".join(text.rsplit("\t4500\t", 1))
    annot.unlink()
    annot.write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "\t9999\t" in t)
    with pytest.raises(DataError) as err:
        load_split(_study(tmp_path, data), "train")
    message = str(err.value)
    assert message.startswith(f"{annot}: line {line} (") and "ends at frame 9999" in message
    assert "4500 frames" in message and "length_tolerance" in message


def test_a_caltech_interval_within_the_tolerance_is_kept(tmp_path: Path) -> None:
    data = _rat_copy(tmp_path)
    annot = data.parent / "annotations" / "1_annot.txt"
    text = "\t4505\t".join(annot.read_text().rsplit("\t4500\t", 1))  # 5 frames, tolerance 10
    annot.unlink()
    annot.write_text(text)
    assert len(load_split(_study(tmp_path, data), "train")) == 6


# --- model files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def booster_text() -> str:
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 4)), rng.integers(0, 2, 300)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 4, "seed": 0}
    return str(lgb.train(params, lgb.Dataset(x, y), num_boost_round=4).model_to_string())


@pytest.mark.parametrize(
    ("name", "edit", "why"),
    [
        ("cut_mid_tree", lambda t: t[: t.index("Tree=2\n") + 40], "end of trees"),
        ("tree_removed", _drop_tree, "3 trees where tree_sizes lists 4"),
        ("tree_sizes", lambda t: t.replace("tree_sizes=", "tree_sizes=9", 1), "tree 0 is"),
        ("empty", lambda t: "", "no LightGBM 'tree' header"),
        ("header", lambda t: t.replace("num_class=", "nm_class=", 1), "header lacks"),
        ("edited_tree", lambda t: t.replace("Tree=1\n", "Tree=1\nextra=1\n", 1), "tree 1 is"),
        ("last_line_cut", lambda t: t[:-8], "cut short"),  # segfaulted LightGBM's loader
        ("parameters_cut", lambda t: t.replace("end of parameters", "", 1), "end of parameters"),
        ("num_class", lambda t: t.replace("num_class=1", "num_class=3", 1), "num_class is not 1"),
    ],
)
def test_a_damaged_lightgbm_model_is_refused_before_lightgbm_reads_it(
    tmp_path: Path, booster_text: str, name: str, edit, why: str
) -> None:
    check_lightgbm(tmp_path / "ok.txt", booster_text.encode())
    path = tmp_path / f"{name}.txt"
    path.write_text(edit(booster_text))
    with pytest.raises(DataError) as err:
        check_model_file(path)
    assert str(err.value).startswith(f"{path}: damaged model file (") and why in str(err.value)
    assert "re-run `mbr-search evaluate`" in str(err.value)


def _keras_zip(drop: str = "", weights: bytes = b"\x89HDF\r\n" * 20) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for member, data in (
            ("metadata.json", b"{}"), ("config.json", json.dumps({"class_name": "M"}).encode()),
            ("model.weights.h5", weights),
        ):  # fmt: skip
            if member != drop:
                archive.writestr(member, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("empty", b"", "the file is empty"),
        ("junk", bytes(range(256)) * 4, "not a complete Keras archive"),
        ("cut", _keras_zip()[:-30], "not a complete Keras archive"),
        ("no_config", _keras_zip("config.json"), "lacks ['config.json']"),
        ("no_weights", _keras_zip("model.weights.h5"), "lacks ['model.weights.h5']"),
        ("empty_weights", _keras_zip(weights=b""), "weights are empty"),
    ],
)
def test_a_damaged_keras_file_is_named_not_file_not_found(
    tmp_path: Path, name: str, data: bytes, why: str
) -> None:
    check_keras(tmp_path / "ok.keras", _keras_zip())
    path = tmp_path / f"{name}.keras"
    path.write_bytes(data)
    with pytest.raises(DataError) as err:
        check_model_file(path)
    assert str(err.value).startswith(f"{path}: damaged model file (") and why in str(err.value)


def test_predict_refuses_a_cut_lightgbm_model_in_one_line(
    tmp_path: Path, booster_text: str
) -> None:
    """Through the model directory loader, in a child: the cut file once aborted it in C++."""
    from conftest import run_cli

    from mbr_search.inference.model_dir import load, load_nets

    del load, load_nets  # the loader the child runs (predict) goes through load_nets
    folder = _gbdt_model(tmp_path)
    model_file = sorted(folder.glob("*.txt"))[0]
    model_file.write_text(model_file.read_text()[:-900])
    done = run_cli("predict", str(folder), str(RAT / POSE_TEST), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert str(model_file) in done.stderr and "re-run `mbr-search evaluate`" in done.stderr


def _gbdt_model(tmp_path: Path) -> Path:
    """A real LightGBM model directory: one trial searched and evaluated (about 20 s)."""
    from mbr_search.cli.main import main

    study = _study(tmp_path, RAT / "dataset.yaml").path
    storage = ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert main(["run", str(study), "--trials", "1", "--no-progress", *storage]) == 0
    out = tmp_path / "ev"
    assert (
        main(["evaluate", str(study), "--top", "1", "--no-importance", "--out", str(out), *storage])
        == 0
    )
    return shutil.copytree(out / "model", tmp_path / "model")
