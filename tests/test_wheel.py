"""A regular install works: the wheel carries the shipped studies, spaces and data.

The slow test builds the wheel from this tree, installs it into a fresh virtual environment
(its dependencies come from the project's own environment, so nothing is downloaded) and runs
``mbr-search`` from an empty folder, as a user who installed the package would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, on_ci

from mbr_search import paths
from mbr_search.config.study import load_study, resolve_study_path

#: What `pip wheel .` reads: the build files, the package and the shipped top-level folders.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "mbr_search")
SHIPPED = ("studies", "search_spaces", "datasets")
#: pyproject.toml's license field (PEP 639) needs this setuptools; `pip install -e .[dev]`
#: brings it, so the build runs offline without build isolation.
SETUPTOOLS_MIN = (77,)


def test_a_study_in_the_cwd_comes_before_the_shipped_one(tmp_path: Path) -> None:
    shipped = resolve_study_path("auto_pose")
    assert shipped.parent == paths.bundled_dir("studies")
    own = Path.cwd() / "studies" / "auto_pose.yaml"
    own.parent.mkdir()
    # The user's copy names the shipped space by name and its data by a path of its own.
    own.write_text(shipped.read_text().replace("../datasets/", f"{paths.bundled_dir('datasets')}/"))
    assert resolve_study_path("auto_pose") == own
    cfg = load_study("auto_pose", cache_dir=tmp_path / "cache")
    assert cfg.path == own
    assert cfg.space.name == "auto_pose"


def _setuptools_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(p) for p in version("setuptools").split(".")[:2] if p.isdigit())


def _build_wheel(tmp: Path) -> Path:
    """``pip wheel`` of a copy of this tree (setuptools writes build/ and *.egg-info beside
    the sources: the checkout is left alone)."""
    src = tmp / "src"
    src.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "synthetic_openfield")
    for name in (*BUILD_INPUTS, *SHIPPED):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=skip)
        else:
            shutil.copy2(REPO / name, src / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp / "dist"), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return next((tmp / "dist").glob("mbr_search-*.whl"))


def _install(wheel: Path, venv: Path) -> Path:
    """A fresh venv holding only the wheel; a .pth line puts this environment's packages
    (TensorFlow, Optuna, ...) after it on sys.path, so nothing is downloaded. The line adds
    the folder only: its own .pth files (the editable install of mbr_search) are not run."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    return site


def _user_env(home: Path) -> dict[str, str]:
    """A user with no mbr-search settings: default data and cache folders under ``home``."""
    drop = ("MBR_SEARCH_HOME", "MBR_SEARCH_CACHE", "PYTHONPATH", "XDG_DATA_HOME",
            "XDG_CACHE_HOME", "VIRTUAL_ENV")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.slow
def test_the_installed_wheel_runs_a_shipped_study_from_an_empty_folder(tmp_path: Path) -> None:
    if _setuptools_version() < SETUPTOOLS_MIN:
        message = "setuptools>=77 is needed to build offline: pip install -e '.[dev]'"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    wheel = _build_wheel(tmp_path / "build")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("studies/auto_pose.yaml", "search_spaces/auto_pose.yaml",
                    "datasets/rat_social_mini/dataset.yaml"):  # fmt: skip
        assert f"mbr_search/_bundled/{shipped}" in names
    assert not [n for n in names if "synthetic_openfield" in n or n.startswith("tests/")]
    site = _install(wheel, tmp_path / "venv")
    cli, home = tmp_path / "venv" / "bin" / "mbr-search", tmp_path / "user"
    cwd = Path.cwd()  # conftest's isolated_home: an empty folder of this test's own
    assert not any(cwd.iterdir())

    def mbr(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(cli), *args], cwd=cwd, env=_user_env(home),
                              capture_output=True, text=True, timeout=600)  # fmt: skip

    listed = mbr("studies")
    assert listed.returncode == 0, listed.stderr
    assert f"auto_pose            {site / 'mbr_search/_bundled/studies/auto_pose.yaml'}" in (
        listed.stdout
    )
    ran = mbr("run", "auto_pose", "--trials", "1", "--set", "training.max_epochs=1",
              "--no-progress")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "1/1 finished trials" in ran.stdout
    # The documented places (README, mbr_search/paths.py): the user's data and cache folders.
    assert (home / ".local" / "share" / "mbr-search" / "mbr_search.db").is_file()
    assert (home / ".cache" / "mbr-search").is_dir()
    assert sorted(p.name for p in cwd.iterdir()) == []
