from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RAT_MINI, write_tiny_study

from mbr_search.config.study import available_studies, load_study
from mbr_search.errors import ConfigError


def test_bundled_studies_all_parse() -> None:
    names = available_studies()
    for name in (
        "lstm_pose",
        "tcn_pose",
        "lstm_resnet",
        "lstm_inception",
        "tcn_resnet",
        "tcn_inception",
    ):
        assert name in names
    study = load_study("lstm_pose")
    assert study.behaviours == ("social", "nonsocial", "aggression")
    assert study.space.model == "lstm" and study.uses_pose_features
    assert len(study.dataset.split("train")) == 6 and len(study.dataset.split("test")) == 2


def test_cli_values_win_over_yaml_which_wins_over_defaults(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    study = load_study(str(path))
    assert study.trials == 2 and study.training.max_epochs == 1 and study.training.patience == 1
    assert study.timeout is None  # default
    study = load_study(
        str(path),
        overrides={"training.max_epochs": 7, "cv.scheme": "leave_one_video_out"},
        trials=5,
        storage="sqlite:///x.db",
        study_name="other",
    )
    assert study.training.max_epochs == 7 and study.cv.scheme == "leave_one_video_out"
    assert study.trials == 5 and study.storage == "sqlite:///x.db" and study.study_name == "other"


def test_unknown_study_lists_the_available_ones() -> None:
    with pytest.raises(ConfigError) as err:
        load_study("lstm_pos")
    assert "did you mean 'lstm_pose'" in str(err.value)
    assert "lstm_resnet" in str(err.value)


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"training.max_epoch": 3}, "training.max_epoch: unknown key; did you mean 'max_epochs'"),
        ({"training.max_epochs": "fifty"}, "expected an integer, got 'fifty'"),
        ({"cv.scheme": "kfold"}, "'kfold' is not one of"),
        ({"behaviours": ["social", "grooming"]}, "['grooming'] not in the dataset's behaviours"),
        ({"space": "lstm_baye"}, "did you mean 'lstm_bayes'"),
        ({"cv.scheme": "group_kfold", "cv.k": 9}, "9 folds but only 6 training videos"),
        ({"sampler.name": "grid"}, "grid needs a space of categorical params"),
    ],
)
def test_bad_study_values(override: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_study("lstm_pose", overrides=override)
    assert needle in str(err.value)
    assert "lstm_pose.yaml" in str(err.value) or "dataset.yaml" in str(err.value)


def _manifest(tmp_path: Path, text: str) -> Path:
    """A copy of the bundled manifest in tmp, its relative paths made absolute."""
    root = RAT_MINI.parent
    text = text.replace("pose: dlc/", f"pose: {root}/dlc/").replace(
        "labels: annotations/", f"labels: {root}/annotations/"
    )
    path = tmp_path / "dataset.yaml"
    path.write_text(text)
    return path


def test_dataset_with_duplicate_ids_split_conflict_or_missing_file(tmp_path: Path) -> None:
    from mbr_search.config.dataset import load_dataset

    text = RAT_MINI.read_text()
    assert len(load_dataset(_manifest(tmp_path, text)).videos) == 8
    with pytest.raises(ConfigError, match="duplicate video id 'rat01'"):
        load_dataset(_manifest(tmp_path, text.replace("id: rat02", "id: rat01")))
    both = text.replace(
        "id: rat08, split: test, pose: dlc/8DLC", "id: rat08, split: test, pose: dlc/1DLC"
    )
    with pytest.raises(ConfigError, match="cannot be both train and test"):
        load_dataset(_manifest(tmp_path, both))
    # The same pose file twice in one split: the video would be validated on itself.
    twice = text.replace(
        "id: rat02, split: train, pose: dlc/2DLC", "id: rat02, split: train, pose: dlc/1DLC"
    )
    assert twice != text
    with pytest.raises(
        ConfigError, match=r"videos\[1\]\.pose: .*'rat01' \(train\).*validated on itself"
    ):
        load_dataset(_manifest(tmp_path, twice))
    with pytest.raises(ConfigError, match=r"file not found: .*missing.txt"):
        load_dataset(
            _manifest(tmp_path, text.replace("annotations/1_annot.txt", "annotations/missing.txt"))
        )
