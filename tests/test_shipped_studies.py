"""Every shipped study and space parses and validates; the auto_* studies search every family."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from mbr_search.config._yaml import load_yaml_mapping
from mbr_search.config.space import load_space
from mbr_search.config.study import available_studies, load_study, resolve_space_path
from mbr_search.models import FAMILIES
from mbr_search.paths import REPO_ROOT

#: the families the auto_* spaces search: every registered one the yardstick has measured
AUTO = {name for name, family in FAMILIES.items() if family.in_auto}


def test_every_shipped_space_validates() -> None:
    spaces = sorted((REPO_ROOT / "search_spaces").glob("*.yaml"))
    assert len(spaces) >= 10
    for path in spaces:
        space = load_space(path)
        assert space.name == path.stem, path
        for family in space.families:
            assert family in FAMILIES, (path, family)


def test_every_family_has_a_shipped_space() -> None:
    searched = {
        f for p in (REPO_ROOT / "search_spaces").glob("*.yaml") for f in load_space(p).families
    }
    assert searched == set(FAMILIES)


def test_auto_studies_search_all_families_on_their_features() -> None:
    names = available_studies()
    for name in ("auto_pose", "auto_resnet", "auto_inception", "gbdt_pose"):
        assert name in names
    for name in ("auto_pose", "auto_resnet", "auto_inception"):
        path = REPO_ROOT / "studies" / f"{name}.yaml"
        raw = load_yaml_mapping(path, "study")
        space = load_space(resolve_space_path(raw["space"], path))
        assert set(space.families) == AUTO, name
        assert raw["sampler"]["name"] == "tpe"


def test_cnn_auto_study_loads_on_an_embedded_dataset(tmp_path: Path) -> None:
    """auto_resnet validated end to end by load_study (space against the CNN features),
    on the synthetic open field: the study as shipped, only its dataset pointed elsewhere."""
    demo = tmp_path / "demo"
    made = run_cli("demo-data", str(demo), "--videos", "3", "--frames", "30", "--size", "64")
    assert made.returncode == 0, made.stderr
    for name, backbone in (
        ("auto_resnet", "resnet50v2"),
        ("auto_inception", "inception_resnet_v2"),
    ):
        study = load_study(name, overrides={"dataset": str(demo / "dataset.yaml")})
        assert study.backbone == backbone and study.embed is not None
        assert not study.uses_pose_features
        assert set(study.space.families) == AUTO
        assert study.behaviours == ("grooming", "mid_rearing", "wall_rearing")
