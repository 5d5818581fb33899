from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mbr_search.errors import DataError
from mbr_search.features.cache import FeatureWriter, find_entry


def _write(root: Path, inputs: list[Path], rows: np.ndarray, settings: dict | None = None):
    with FeatureWriter(root, backbone="pose", video_id="v1", settings=settings or {"a": 1},
                       inputs=inputs, n_frames=len(rows), dim=rows.shape[1]) as w:  # fmt: skip
        w.write(0, rows[:2])
        w.write(2, rows[2:])
        return w.commit()


def test_round_trip_is_float16_memmap(tmp_path: Path) -> None:
    src = tmp_path / "pose.csv"
    src.write_text("x")
    rows = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)
    entry = _write(tmp_path / "cache", [src], rows)
    again = find_entry(
        tmp_path / "cache", backbone="pose", video_id="v1", settings={"a": 1}, inputs=[src]
    )
    assert again is not None and again.array_path == entry.array_path
    arr = again.load()
    assert isinstance(arr, np.memmap) and arr.dtype == np.float16 and arr.shape == (12, 4)
    np.testing.assert_allclose(arr, rows, atol=1e-2)
    manifest = json.loads(entry.manifest_path.read_text())
    assert manifest["n_frames"] == 12 and manifest["dim"] == 4 and "numpy" in manifest["versions"]
    assert not list((tmp_path / "cache" / "pose").glob(".partial-*"))


def test_changed_input_or_settings_miss_the_cache(tmp_path: Path) -> None:
    src = tmp_path / "pose.csv"
    src.write_text("x")
    _write(tmp_path / "c", [src], np.ones((3, 2)))
    assert (
        find_entry(tmp_path / "c", backbone="pose", video_id="v1", settings={"a": 2}, inputs=[src])
        is None
    )
    src.write_text("y")
    assert (
        find_entry(tmp_path / "c", backbone="pose", video_id="v1", settings={"a": 1}, inputs=[src])
        is None
    )


def test_partial_or_corrupt_entries_are_not_valid(tmp_path: Path) -> None:
    src = tmp_path / "pose.csv"
    src.write_text("x")
    entry = _write(tmp_path / "c", [src], np.ones((8, 2)))
    lookup = dict(backbone="pose", video_id="v1", settings={"a": 1}, inputs=[src])
    data = entry.array_path.read_bytes()
    entry.array_path.write_bytes(data[:-6])  # truncated array
    assert find_entry(tmp_path / "c", **lookup) is None  # type: ignore[arg-type]
    entry.array_path.write_bytes(data)
    assert find_entry(tmp_path / "c", **lookup) is not None  # type: ignore[arg-type]
    entry.manifest_path.unlink()  # killed before the manifest was written
    assert find_entry(tmp_path / "c", **lookup) is None  # type: ignore[arg-type]


def test_writer_without_commit_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "pose.csv"
    src.write_text("x")
    with FeatureWriter(tmp_path / "c", backbone="pose", video_id="v", settings={}, inputs=[src],
                       n_frames=4, dim=2) as w:  # fmt: skip
        w.write(0, np.ones((2, 2)))
    assert list((tmp_path / "c" / "pose").iterdir()) == []


def test_nan_rows_and_unwritable_folder_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "pose.csv"
    src.write_text("x")
    writer = FeatureWriter(
        tmp_path / "c", backbone="pose", video_id="v", settings={}, inputs=[src], n_frames=2, dim=2
    )
    with writer as w, pytest.raises(DataError, match="NaN/inf"):
        w.write(0, np.array([[1.0, np.nan], [0, 0]]))
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot write the feature cache"):
        FeatureWriter(
            blocker / "sub",
            backbone="pose",
            video_id="v",
            settings={},
            inputs=[src],
            n_frames=1,
            dim=1,
        )


def test_disk_full_is_a_clean_error_and_leaves_nothing(tmp_path: Path) -> None:
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a 1 MB tmpfs here (needs root) to fill a disk")
    try:
        src = small / "pose.csv"
        src.write_text("x")
        with pytest.raises(DataError, match="no room for 10000x2048 cached features"):
            FeatureWriter(small / "c", backbone="b", video_id="v", settings={}, inputs=[src],
                          n_frames=10000, dim=2048)  # fmt: skip
        assert list((small / "c" / "b").iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=False)
