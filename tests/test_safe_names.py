"""Ids and names that become paths are plain file names, and YAML aliases cannot explode.

Each CLI case runs as a user would and checks the product's invariants: exit 2, one line
naming the file and the fix, no traceback, nothing written outside the output folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _evaluated import Evaluated
from conftest import RAT_MINI, run_cli, write_tiny_study

from mbr_search.config._yaml import MAX_EXPANDED_VALUES, load_yaml_mapping
from mbr_search.config.dataset import load_dataset
from mbr_search.config.study import load_study
from mbr_search.errors import ConfigError
from mbr_search.safe_names import name_problem, plain_name

BAD_NAMES = [
    "../../../../ESCAPE_train", "..", ".", "../x", "..x", "a/b", "/etc/passwd", "a\\b",
    "C:evil", "", "   ", "a\0b", "tab\there", " lead", "x" * 300,
]  # fmt: skip
GOOD_NAMES = ["rat01", "OFT_38", "video.1", "a-b_c", "é-vidéo", "x" * 200]


@pytest.mark.parametrize("value", BAD_NAMES, ids=repr)
def test_plain_name_refuses_every_value_that_is_not_one_file_name(value: str) -> None:
    assert name_problem(value) is not None
    with pytest.raises(ConfigError) as err:
        plain_name(value, "videos[0].id", Path("/data/dataset.yaml"))
    message = str(err.value)
    assert message.startswith("/data/dataset.yaml: videos[0].id ") and "Fix:" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", GOOD_NAMES)
def test_plain_name_keeps_ordinary_names(value: str) -> None:
    assert plain_name(value, "id", "x.yaml") == value


def test_non_text_values_are_refused() -> None:
    assert name_problem(3) is not None and name_problem(None) is not None


def _manifest_with_id(tmp_path: Path, new_id: str, old_id: str = "rat05") -> Path:
    """The bundled rat manifest, copied with absolute file paths and one id replaced."""
    base = RAT_MINI.parent
    text = RAT_MINI.read_text().replace("pose: dlc/", f"pose: {base}/dlc/")
    text = text.replace("labels: annotations/", f"labels: {base}/annotations/")
    path = tmp_path / "dataset.yaml"
    path.write_text(text.replace(f"id: {old_id}", f"id: '{new_id}'"))
    return path


def test_a_video_id_that_is_a_path_is_refused_when_the_manifest_loads(tmp_path: Path) -> None:
    path = _manifest_with_id(tmp_path, "../../../../ESCAPE_train")
    with pytest.raises(ConfigError) as err:
        load_dataset(path)
    assert str(err.value).startswith(f"{path}: videos[2].id '../../../../ESCAPE_train'")


def test_evaluate_with_an_escaping_video_id_writes_nothing(tmp_path: Path) -> None:
    dataset = _manifest_with_id(tmp_path, "../../../../ESCAPE_train")
    study = write_tiny_study(tmp_path, dataset=dataset)
    out = tmp_path / "work" / "a" / "b" / "c" / "ev"
    result = run_cli("evaluate", str(study), "--top", "1", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "videos[2].id" in result.stderr and str(dataset) in result.stderr
    assert not (tmp_path / "work").exists()
    assert not list(tmp_path.rglob("*ESCAPE*"))


def test_a_study_name_that_is_a_path_is_refused(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path, name="ESCAPE_name")
    study.write_text(study.read_text().replace("name: ESCAPE_name", "name: ../../../ESCAPE_name"))
    with pytest.raises(ConfigError, match=r"name '\.\./\.\./\.\./ESCAPE_name' holds a path"):
        load_study(str(study))
    result = run_cli("report", str(study))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(study) in result.stderr
    assert not Path("/ESCAPE_name").exists() and not Path.cwd().joinpath("reports").exists()


def test_a_study_name_given_on_the_command_line_is_checked_too(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path)
    with pytest.raises(ConfigError, match=r"^--study-name: study name '\.\./x'"):
        load_study(str(study), study_name="../x")


# --- YAML alias bombs ---------------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    """A 'billion laughs' in flow style: level i is nine copies of level i-1."""
    lines = ["- &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"- &l{i} [{refs}]")
    return "\n".join("    " + line for line in lines)


def test_an_alias_bomb_under_labels_names_is_refused_at_once(tmp_path: Path) -> None:
    path = _manifest_with_id(tmp_path, "rat05")
    bomb = f"  stream: S1\n  names:\n    x:\n{_bomb()}\n"
    path.write_text(path.read_text().replace("  stream: S1\n", bomb))
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_dataset(path)
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "alias bomb" in message and "\n" not in message


def test_an_alias_bomb_in_a_study_description_exits_2_in_one_line(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path)
    study.write_text(study.read_text() + f"description:\n{_bomb()}\n")
    result = run_cli("run", str(study), "--trials", "1", timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(study) in result.stderr and "alias" in result.stderr


def test_ordinary_aliases_and_merges_still_load(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {p: 1, q: [1, 2, 3]}\nd:\n  <<: *b\n  p: 5\ne: *b\n")
    assert load_yaml_mapping(path, "study") == {
        "base": {"p": 1, "q": [1, 2, 3]},
        "d": {"p": 5, "q": [1, 2, 3]},
        "e": {"p": 1, "q": [1, 2, 3]},
    }
    big = tmp_path / "big.yaml"
    big.write_text("x: [" + ", ".join(["1"] * (MAX_EXPANDED_VALUES // 2)) + "]\n")
    assert len(load_yaml_mapping(big, "study")["x"]) == MAX_EXPANDED_VALUES // 2


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(ConfigError, match="alias"):
        load_yaml_mapping(path, "study")


def test_a_behaviour_name_that_is_a_path_is_refused_in_a_study(tmp_path: Path) -> None:
    """suggest names clip files after behaviours, and predict its outputs: a behaviour such
    as '../escape' is refused when the study loads."""
    study = write_tiny_study(tmp_path)
    text = study.read_text()
    assert "behaviours: [" in text
    study.write_text(text.replace("behaviours: [", "behaviours: ['../escape', ", 1))
    with pytest.raises(ConfigError, match=r"behaviours: '\.\./escape' holds a path separator"):
        load_study(str(study))


@pytest.mark.slow
def test_a_model_dir_whose_behaviour_is_a_path_is_refused(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    """The same name handed over in someone's model.json: predict refuses it in one line
    and writes nothing outside --out."""
    import json
    import shutil

    model = tmp_path / "model"
    shutil.copytree(evaluated.out / "model", model)
    doc = json.loads((model / "model.json").read_text())
    old = doc["behaviours"][0]
    doc["behaviours"][0] = "../../escape"
    for key in ("thresholds", "postprocess"):
        doc[key]["../../escape"] = doc[key].pop(old)
    (model / "model.json").write_text(json.dumps(doc))
    pose = RAT_MINI / "dlc" / "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv.gz"
    ran = run_cli("predict", str(model), str(pose), "--out", str(tmp_path / "out" / "p"))
    assert ran.returncode == 2, ran.stderr
    assert "model.json" in ran.stderr and "holds a path separator" in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1 and "Traceback" not in ran.stderr
    assert not list(tmp_path.glob("escape*")) and not (tmp_path / "out").exists()
