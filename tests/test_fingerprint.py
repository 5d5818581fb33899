"""A stored study refuses to be resumed, evaluated or reported with another configuration,
and every video (test ones included) is checked before the first trial."""

from __future__ import annotations

import gzip
from pathlib import Path

import optuna
import pytest
from _evaluated import searched_study, shared_base
from conftest import RAT_MINI, run_cli, write_tiny_study

from mbr_search.config.study import load_study
from mbr_search.search.fingerprint import fingerprint

ONE = ["--trials", "1", "--set", "cv.max_folds=1", "--no-progress"]


def test_fingerprint_sees_each_part_that_changes_what_a_trial_means(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path)
    base = fingerprint(load_study(str(path)))
    assert base.differences(fingerprint(load_study(str(path)))) == []
    for key, value, part in [
        ("seed", 3, "seed"),
        ("behaviours", ["aggression"], "behaviours"),
        ("cv.k", 2, "cv"),
        ("fps", 5, "features"),
    ]:
        changed = fingerprint(load_study(str(path), overrides={key: value}))
        assert [d.split(" ")[0] for d in base.differences(changed)] == [part], key
    # Pruner, trial budget and quick-look settings may change on resume.
    same = load_study(str(path), overrides={"pruner.name": "none", "cv.max_folds": 1, "trials": 9})
    assert base.differences(fingerprint(same)) == []


def test_fingerprint_sees_an_edited_input_file(tmp_path: Path) -> None:
    root = RAT_MINI.parent
    annot = tmp_path / "1_annot.txt"
    annot.write_bytes((root / "annotations" / "1_annot.txt").read_bytes())
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(
        RAT_MINI.read_text()
        .replace("pose: dlc/", f"pose: {root}/dlc/")
        .replace("labels: annotations/1_annot.txt", f"labels: {annot}")
        .replace("labels: annotations/", f"labels: {root}/annotations/")
    )
    path = write_tiny_study(tmp_path, dataset=manifest)
    before = fingerprint(load_study(str(path)))
    annot.write_text(annot.read_text() + "\n")
    diff = before.differences(fingerprint(load_study(str(path))))
    assert diff == ["dataset (changed ['rat01'])"], diff


@pytest.mark.slow
def test_run_evaluate_report_refuse_a_changed_study(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_tiny_study(tmp_path)
    db = f"sqlite:///{tmp_path / 's.db'}"
    # The stored study: the session's real `run` of this tiny study (tests/_evaluated.py,
    # its fingerprint stored by that run), copied into this storage.
    shared = searched_study(shared_base(tmp_path_factory))
    optuna.copy_study(from_study_name="tiny", from_storage=shared.storage, to_storage=db)
    stored = len(optuna.load_study(study_name="tiny", storage=db).trials)
    assert stored > 0
    for command in (["run", *ONE[:2]], ["report"], ["evaluate", "--top", "1"]):
        result = run_cli(command[0], str(path), *command[1:], "--storage", db, "--set", "seed=3")
        assert result.returncode == 2, (command, result.stderr)
        err = result.stderr
        assert "was made with another configuration" in err and "seed (was 0, now 3)" in err
        assert "--study-name NEW" in err and "Traceback" not in err
    study = optuna.load_study(study_name="tiny", storage=db)
    assert len(study.trials) == stored  # the refused run added nothing
    renamed = run_cli(
        "run", str(path), "--storage", db, "--set", "seed=3", "--study-name", "t2", *ONE
    )
    assert renamed.returncode == 0, renamed.stderr


def test_a_broken_test_video_fails_before_the_first_trial(tmp_path: Path) -> None:
    root = RAT_MINI.parent
    broken = tmp_path / "8.csv.gz"
    data = (
        root / "dlc" / "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
    ).read_bytes()
    broken.write_bytes(data[: len(data) // 2])  # a copy cut mid-file
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(
        RAT_MINI.read_text()
        .replace(
            "pose: dlc/8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz",
            f"pose: {broken}",
        )
        .replace("pose: dlc/", f"pose: {root}/dlc/")
        .replace("labels: annotations/", f"labels: {root}/annotations/")
    )
    assert str(broken) in manifest.read_text()
    with gzip.open(broken) as handle, pytest.raises(EOFError):
        handle.read()
    path = write_tiny_study(tmp_path, dataset=manifest)
    db = tmp_path / "s.db"
    result = run_cli("run", str(path), "--storage", f"sqlite:///{db}", *ONE)
    assert result.returncode == 2, result.stderr
    assert "8.csv.gz" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()  # nothing was written to the storage


def test_test_video_contents_do_not_enter_the_fingerprint(tmp_path: Path) -> None:
    # Trial values never saw the test videos: their labels may be corrected (or scrambled
    # by a leakage test) without invalidating the study; a move between splits may not.
    root = RAT_MINI.parent
    annot = tmp_path / "8_annot.txt"
    annot.write_bytes((root / "annotations" / "8_annot.txt").read_bytes())
    text = RAT_MINI.read_text().replace("pose: dlc/", f"pose: {root}/dlc/")
    text = text.replace("labels: annotations/8_annot.txt", f"labels: {annot}")
    manifest = tmp_path / "ds.yaml"
    manifest.write_text(text.replace("labels: annotations/", f"labels: {root}/annotations/"))
    path = write_tiny_study(tmp_path, dataset=manifest)
    before = fingerprint(load_study(str(path)))
    annot.write_text(annot.read_text() + "\n")
    assert before.differences(fingerprint(load_study(str(path)))) == []
    moved = manifest.read_text().replace("id: rat08, split: test", "id: rat08, split: train")
    assert moved != manifest.read_text()
    manifest.write_text(moved)
    assert fingerprint(load_study(str(path))).differences(before) != []
