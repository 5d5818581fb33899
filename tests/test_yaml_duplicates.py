"""A key given twice in any YAML file the product reads is an error naming both lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RAT_MINI, run_cli, write_tiny_study

from mbr_search.config._yaml import load_yaml_mapping, parse_scalar
from mbr_search.config.dataset import load_dataset
from mbr_search.config.space import load_space
from mbr_search.config.study import load_study
from mbr_search.errors import ConfigError


def test_duplicated_seed_in_a_study_names_the_key_and_both_lines(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path)
    lines = study.read_text().splitlines()
    first = lines.index("seed: 0") + 1
    study.write_text("\n".join([*lines, "seed: 3"]) + "\n")
    second = len(lines) + 1
    with pytest.raises(ConfigError) as err:
        load_study(str(study))
    message = str(err.value)
    assert message.startswith(f"{study}:{second}: key 'seed' is given twice")
    assert f"(lines {first} and {second})" in message
    assert "Fix: delete one of them." in message and "\n" not in message


def test_duplicates_in_dataset_and_space_files_and_nested_sections(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset.yaml"
    text = RAT_MINI.read_text()
    dataset.write_text(text.replace("videos:", "fps: 30\nfps: 25\nvideos:", 1))
    with pytest.raises(ConfigError, match=r"dataset.yaml:\d+: key 'fps' is given twice"):
        load_dataset(dataset)
    space = tmp_path / "space.yaml"
    space.write_text(
        "model: lstm\nparams:\n  lstm_units: {type: categorical, choices: [8]}\n"
        "fixed:\n  seq_len: 150\n  dropout: 0.1\n  seq_len: 300\n"
    )
    with pytest.raises(ConfigError, match=r"space.yaml:7: key 'seq_len' .*\(lines 5 and 7\)"):
        load_space(space)
    flow = tmp_path / "flow.yaml"
    flow.write_text("training: {max_epochs: 1, max_epochs: 5}\n")
    with pytest.raises(ConfigError, match=r"flow.yaml:1: key 'max_epochs' .*\(lines 1 and 1\)"):
        load_yaml_mapping(flow, "study")


def test_safe_load_semantics_are_kept() -> None:
    from mbr_search.config._yaml import strict_load

    text = "base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  p: 5\nx: [1, 2.5, null, yes]\n"
    assert strict_load(text) == {
        "base": {"p": 1, "q": 2},
        "d": {"p": 5, "q": 2},  # a merge may still be overridden
        "x": [1, 2.5, None, True],
    }
    assert strict_load("") is None
    with pytest.raises(Exception, match="could not determine a constructor"):
        strict_load("!!python/object:os.system {}")  # still safe: no arbitrary objects
    assert parse_scalar("[a, b]") == ["a", "b"]
    with pytest.raises(ConfigError, match="key 'a' is given twice"):
        parse_scalar("{a: 1, a: 2}")


def test_cli_run_refuses_a_duplicated_key_with_one_line(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path, extra="seed: 3\n")
    res = run_cli("run", str(study), "--trials", "1", "--storage", f"sqlite:///{tmp_path}/s.db")
    assert res.returncode == 2
    assert "key 'seed' is given twice" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert not (tmp_path / "s.db").exists()
