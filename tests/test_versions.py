"""One list of versions for every record that names them (issue 24: LightGBM was in none)."""

from __future__ import annotations

from importlib import metadata

import mbr_search.evaluate.core as core
import mbr_search.features.cache as cache
import mbr_search.report.build as build
from mbr_search.versions import PACKAGES, versions


def test_every_model_building_library_is_listed() -> None:
    found = versions()
    assert found["python"]
    for name in ("lightgbm", "tensorflow", "keras", "keras-tcn", "mbr-search"):
        assert found[name] == metadata.version(name)
    assert set(found) - {"python"} <= set(PACKAGES)


def test_the_cache_results_and_report_read_the_one_function() -> None:
    assert core.versions is versions
    assert cache.versions is versions
    assert build.versions is versions
