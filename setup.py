"""Build hook: the wheel carries the top-level ``studies/``, ``search_spaces/`` and
``datasets/`` as package data under ``mbr_search/_bundled/``.

The folders stay at the repository's top level (the layout the README and the studies'
relative ``../datasets`` paths point at); they are copied into the build folder only, never
into the source tree. ``mbr_search.paths.bundled_dir`` finds them with ``importlib.resources``
in an installed wheel and falls back to the checkout's folders in an editable install, which
is why an editable build copies nothing. Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: Top-level folders shipped in the wheel, under mbr_search/_bundled/<name>/.
BUNDLED = ("studies", "search_spaces", "datasets")
#: Made locally by `mbr-search demo-data` (gitignored): never shipped.
LOCAL_ONLY = shutil.ignore_patterns("synthetic_openfield", "__pycache__", "*.pyc")
SOURCE = Path(__file__).resolve().parent


class BuildPyWithBundled(build_py):
    """``build_py`` plus the bundled folders, copied into the build folder."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the editable install reads the checkout's folders themselves
        target = Path(self.build_lib) / "mbr_search" / "_bundled"
        for name in BUNDLED:
            shutil.copytree(SOURCE / name, target / name, ignore=LOCAL_ONLY, dirs_exist_ok=True)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        bundled = Path(self.build_lib) / "mbr_search" / "_bundled"
        if bundled.is_dir():
            outputs += [str(p) for p in bundled.rglob("*") if p.is_file()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithBundled})
